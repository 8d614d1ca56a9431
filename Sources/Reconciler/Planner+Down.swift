import ComposeSpec
import EngineAPI

extension Planner {
    /// The plan `down` follows: containers in reverse dependency order (dependents stop first),
    /// then networks, then (with `-v`) volumes and (with `--rmi`) images. With `desired` nil (no
    /// compose file, `down -p NAME`) every container of the project goes and the order comes from
    /// the `com.docker.compose.depends_on` labels.
    public static func down(observed: ObservedState, desired: DesiredState? = nil, options: DownOptions) -> Plan {
        var plan = Plan(project: observed.project)
        let containers = observed.containers.filter { $0.project == observed.project }
        let known = desired?.knownServiceNames

        // Who depends on whom, from the files when there are some, else from the labels.
        var dependencies: [String: Set<String>] = [:]
        for container in containers {
            let service = container.service ?? container.name
            dependencies[service, default: []].formUnion(container.dependencies.map(\.service))
        }
        if let desired {
            for (name, edges) in desired.graph.dependencies { dependencies[name] = Set(edges.map(\.name)) }
        }
        let order = startOrder(dependencies).reversed()
        let rank = Dictionary(order.enumerated().map { ($0.element, $0.offset) }, uniquingKeysWith: { first, _ in first })

        let sorted = containers.sorted { a, b in
            let (ra, rb) = (rank[a.service ?? a.name] ?? Int.max, rank[b.service ?? b.name] ?? Int.max)
            return ra != rb ? ra < rb : replicaOrder(a, b)
        }
        var removing = Set<String>()
        let chosen = { (container: ObservedContainer) in
            options.services.isEmpty || options.services.contains(container.service ?? container.name)
        }
        for container in sorted where chosen(container) {
            let ref = reference(to: container)
            let isOrphan = container.isOneoff || (known.map { !$0.contains(ref.service) } ?? false)
            if isOrphan && !options.removeOrphans {
                plan.warnings.append(PlanWarning(object: ref.shortName, message: container.isOneoff
                    ? "one-off container kept (--remove-orphans removes it)"
                    : "orphan: service \(ref.service) is not in the project (--remove-orphans removes it)"))
                continue
            }
            let stop = desired?.project.services[ref.service].map { StopPolicy.of($0, timeout: options.timeout) }
                ?? StopPolicy.defaults(options.timeout)
            removing.insert(ref.service)
            plan.steps.append(PlanStep(.removeContainer(ref, stop: container.isActive ? stop : nil,
                                                        removeAnonymousVolumes: options.removeVolumes),
                                       reason: isOrphan ? "orphan" : "down"))
        }
        for name in removing.sorted() {
            plan.waitsFor[name] = dependencies.filter { $0.value.contains(name) && removing.contains($0.key) && $0.key != name }
                .map(\.key).sorted()
        }

        // `down web` while db stays: what the project shares stays with it.
        if containers.contains(where: { !chosen($0) }) { return plan }

        let externalNetworks = Set((desired?.project.networks ?? [:]).filter { $0.value.external == true }
            .map { desired?.networkName($0.key) ?? $0.key })
        for network in observed.networks.sorted(by: { $0.name < $1.name }) where !externalNetworks.contains(network.name) {
            plan.steps.append(PlanStep(.removeNetwork(name: network.name), reason: "down"))
        }
        if options.removeVolumes {
            let external = Set((desired?.project.volumes ?? [:]).filter { $0.value.external == true }
                .map { desired?.volumeName($0.key) ?? $0.key })
            for volume in observed.volumes.sorted(by: { $0.name < $1.name }) where !external.contains(volume.name) {
                plan.steps.append(PlanStep(.removeVolume(name: volume.name), reason: "down -v"))
            }
        }
        if options.removeImages != .none {
            var references: [String: Bool] = [:]   // reference → built (named by compose after the service)
            if let desired {
                for service in desired.project.services.values {
                    references[desired.project.imageName(of: service)] = service.image == nil
                }
            }
            for container in containers {
                guard let reference = container.imageReference, references[reference] == nil else { continue }
                references[reference] = reference == "\(observed.project)-\(container.service ?? "")"
            }
            for (reference, built) in references.sorted(by: { $0.key < $1.key }) where options.removeImages == .all || built {
                plan.steps.append(PlanStep(.removeImage(reference: reference), reason: "down --rmi \(options.removeImages.rawValue)"))
            }
        }
        return plan
    }

    /// Dependencies first, names breaking ties; services in a cycle (possible only in labels
    /// written by something else) follow in name order rather than failing a `down`.
    static func startOrder(_ dependencies: [String: Set<String>]) -> [String] {
        var remaining = dependencies.mapValues { $0.filter { dependencies[$0] != nil } }
        var order: [String] = []
        while !remaining.isEmpty {
            let ready = remaining.filter { $0.value.isEmpty }.keys.sorted()
            // `remaining` is not empty here, so a cycle always yields one name to break it with.
            let next = ready.isEmpty ? Array(remaining.keys.sorted().prefix(1)) : ready
            for name in next {
                order.append(name)
                remaining[name] = nil
            }
            for key in remaining.keys { remaining[key]?.subtract(next) }
        }
        return order
    }
}
