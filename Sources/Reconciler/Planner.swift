import ComposeSpec
import EngineAPI

/// Computes plans. Pure: no I/O, no clock, no randomness; the same inputs give the same plan, with
/// steps in a stable order (networks, volumes, orphans, then services in start order and replicas
/// by number).
public enum Planner {
    /// When a container that exists is recreated, as compose's recreate policies.
    enum RecreatePolicy {
        case never      // --no-recreate
        case diverged   // when its configuration or image changed (the default)
        case force      // --force-recreate, or --always-recreate-deps for dependencies
    }

    /// The plan `up` follows to make `observed` match `desired`.
    public static func plan(desired: DesiredState, observed: ObservedState, options: UpOptions) throws(ReconcilerError) -> Plan {
        let all = desired.project.services
        for name in options.services + options.scale.keys.sorted() where all[name] == nil {
            throw ReconcilerError(.invalidProject, object: "service \(name)", "no such service in project \(desired.projectName)")
        }
        let requested = options.services.isEmpty ? Set(all.keys) : Set(options.services)
        let scope = options.noDeps ? requested : desired.graph.closure(of: requested.sorted())
        var plan = Plan(project: desired.projectName)

        // Networks and volumes the services in scope use.
        let observedNetworks = Dictionary(observed.networks.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let networkKeys = Set(scope.compactMap { all[$0] }.flatMap { desired.networkKeys(of: $0) })
        for key in networkKeys.sorted() where desired.project.networks[key]?.external != true {
            let spec = desired.networkSpec(key)
            guard let existing = observedNetworks[spec.name] else {
                plan.steps.append(PlanStep(.createNetwork(spec), reason: "used by \(users(of: key, in: scope, desired.networkKeys, all))"))
                continue
            }
            // Replacing a network means detaching every container on it: left to `down` and `up`,
            // which the user chooses, rather than done behind their back.
            if let hash = existing.labels[ResourceLabels.configHash], hash != spec.labels[ResourceLabels.configHash] {
                plan.warnings.append(PlanWarning(object: "network \(spec.name)",
                                                 message: "its definition changed; `down` then `up` applies it"))
            }
        }
        let observedVolumes = Set(observed.volumes.map(\.name))
        let volumeKeys = Set(scope.compactMap { all[$0] }.flatMap { desired.volumeKeys(of: $0) })
        for key in volumeKeys.sorted() where desired.project.volumes[key]?.external != true {
            let spec = desired.volumeSpec(key)
            if !observedVolumes.contains(spec.name) {
                plan.steps.append(PlanStep(.createVolume(spec), reason: "used by \(users(of: key, in: scope, desired.volumeKeys, all))"))
            }
        }

        let containers = observed.containers.filter { !$0.isOneoff && $0.project == desired.projectName }
        let byService = Dictionary(grouping: containers) { $0.service ?? "" }

        // Orphans: containers of services the files no longer name.
        let known = desired.knownServiceNames
        for container in containers.sorted(by: replicaOrder) where !known.contains(container.service ?? "") {
            let ref = reference(to: container)
            if options.removeOrphans {
                plan.steps.append(PlanStep(.removeContainer(ref, stop: container.isActive ? StopPolicy.defaults(options.timeout) : nil,
                                                            removeAnonymousVolumes: false), reason: "orphan"))
            } else {
                plan.warnings.append(PlanWarning(object: ref.shortName,
                                                 message: "orphan: service \(ref.service) is not in the project (--remove-orphans removes it)"))
            }
        }

        // Services with a recreated replica (for depends_on's `restart: true`), and services whose
        // first replica, the one `service:x` and `volumes_from` join, is new (for those).
        var recreated = Set<String>()
        var newFirstReplica = Set<String>()
        for name in desired.graph.startOrder where scope.contains(name) {
            guard let service = desired.services[name] else { continue }
            let policy: RecreatePolicy
            if options.noRecreate {
                policy = .never
            } else if requested.contains(name) {
                policy = options.forceRecreate ? .force : .diverged
            } else {
                policy = options.alwaysRecreateDeps ? .force : .diverged
            }
            let replicas = options.scale[name] ?? service.service.replicas
            let stop = StopPolicy.of(service.service, timeout: options.timeout)
            // A number twice (two `up` racing before Berth had locks, or another tool) or no number
            // at all: keep the oldest holder of each number and remove the rest.
            var numbers = Set<Int>()
            var existing: [ObservedContainer] = []
            for container in (byService[name] ?? []).sorted(by: replicaOrder) {
                if let number = container.number, number > 0, numbers.insert(number).inserted {
                    existing.append(container)
                    continue
                }
                let reason = container.number.map { "duplicate of \(name)-\($0)" } ?? "no container number label"
                plan.steps.append(PlanStep(.removeContainer(reference(to: container), stop: container.isActive ? stop : nil,
                                                            removeAnonymousVolumes: false), reason: reason))
            }
            let kept = Array(existing.prefix(replicas))

            // Scale down first, highest numbers first, so numbers stay dense.
            for container in existing.dropFirst(replicas).reversed() {
                plan.steps.append(PlanStep(.removeContainer(reference(to: container), stop: container.isActive ? stop : nil,
                                                            removeAnonymousVolumes: false),
                                           reason: "scale \(existing.count)→\(replicas)"))
            }
            let propagated = propagatedReason(for: name, desired: desired, recreated: recreated, newFirstReplica: newFirstReplica)
            for container in kept {
                var ref = reference(to: container)
                let expectedName = containerName(service.service, number: ref.number, project: desired.projectName)
                if policy != .never,
                   let reason = recreateReason(container, service, policy: policy, propagated: propagated)
                    ?? misnamedReason(container, expected: expectedName) {
                    recreated.insert(name)
                    if container.id == kept.first?.id { newFirstReplica.insert(name) }
                    ref.name = expectedName
                    let oldStop = StopPolicy.of(container, fallback: stop, timeout: options.timeout)
                    plan.steps.append(PlanStep(.recreateContainer(ref, stop: oldStop, start: !options.noStart,
                                                                  renewAnonymousVolumes: options.renewAnonVolumes),
                                               reason: reason))
                } else if !options.noStart, container.state == .created || container.state == .exited,
                          !(options.keepUserStops && container.stoppedByUser && service.restartPolicy == "unless-stopped") {
                    let reason = container.state == .created ? "created, not started"
                        : "exited (code \(container.exitCode.map(String.init) ?? "unknown"))"
                    plan.steps.append(PlanStep(.startContainer(ref), reason: reason))
                }
            }
            if kept.count < replicas {
                if kept.isEmpty { newFirstReplica.insert(name) }
                let used = Set(kept.compactMap(\.number))
                let free = (1...).lazy.filter { !used.contains($0) }.prefix(replicas - kept.count)
                let reason = existing.isEmpty ? "new service" : "scale \(existing.count)→\(replicas)"
                for number in free {
                    let ref = PlanStep.ContainerRef(service: name, number: number,
                                                    name: containerName(service.service, number: number, project: desired.projectName))
                    plan.steps.append(PlanStep(.createContainer(ref, start: !options.noStart), reason: reason))
                }
            }
        }

        let planned = Set(plan.steps.compactMap(\.service))
        for name in planned.sorted() {
            plan.waitsFor[name] = (desired.graph.dependencies[name] ?? []).map(\.name)
                .filter { planned.contains($0) && $0 != name }.uniqued()
        }
        return plan
    }

    /// The engine-wide container name: `container_name`, else `<project>-<service>-<n>`.
    public static func containerName(_ service: Service, number: Int, project: String) -> String {
        service.containerName ?? "\(project)-\(service.name)-\(number)"
    }

    /// Why a container must be recreated, or nil when it may stay.
    static func recreateReason(_ container: ObservedContainer, _ service: DesiredState.DesiredService,
                               policy: RecreatePolicy, propagated: String?) -> String? {
        if policy == .force { return "forced" }
        if container.state == .dead { return "container is dead" }
        if container.configHash != service.configHash {
            guard let recorded = container.recordedConfig, let current = try? service.recordedConfig() else {
                return "configuration changed"
            }
            let keys = RecordedConfig.changedKeys(from: recorded, to: current)
            return keys.isEmpty ? "configuration changed" : "\(keys.joined(separator: ", ")) changed"
        }
        if let imageID = service.imageID, imageID != container.imageID {
            return "image changed (\(abbreviated(container.imageID)) → \(abbreviated(imageID)))"
        }
        return propagated
    }

    /// A container under another name than its number gives it: the replacement of a recreate
    /// that was interrupted before the rename (`<old id>_<name>`), or one renamed by hand. Recreating
    /// it gives it its name back. Checked after the other reasons, and not under `--no-recreate`.
    static func misnamedReason(_ container: ObservedContainer, expected: String) -> String? {
        guard container.name != expected else { return nil }
        return container.name.hasSuffix("_" + expected)
            ? "left over from an interrupted recreate" : "named \(container.name), expected \(expected)"
    }

    /// Why `name` must follow another service: it shares a namespace with that service's first
    /// replica or takes its volumes, and that replica is new; or it depends on it with
    /// `restart: true` and a replica of it is recreated.
    static func propagatedReason(for name: String, desired: DesiredState, recreated: Set<String>,
                                 newFirstReplica: Set<String>) -> String? {
        for edge in desired.graph.dependencies[name] ?? [] {
            let how = recreated.contains(edge.name) ? "is recreated" : "gets a new container"
            switch edge.kind {
            case .networkMode, .ipc, .pid:
                if newFirstReplica.contains(edge.name) { return "\(edge.kind.rawValue) service:\(edge.name) \(how)" }
            case .volumesFrom:
                if newFirstReplica.contains(edge.name) { return "volumes_from \(edge.name), which \(how)" }
            case .dependsOn:
                if recreated.contains(edge.name), desired.services[name]?.service.dependsOn?[edge.name]?.restart == true {
                    return "depends on \(edge.name) (restart: true), which is recreated"
                }
            case .links:
                continue
            }
        }
        return nil
    }

    /// Replicas by number (containers without one last), then creation time, then id.
    static func replicaOrder(_ a: ObservedContainer, _ b: ObservedContainer) -> Bool {
        let (na, nb) = (a.number ?? Int.max, b.number ?? Int.max)
        if na != nb { return na < nb }
        if (a.service ?? "") != (b.service ?? "") { return (a.service ?? "") < (b.service ?? "") }
        if a.created != b.created { return a.created < b.created }
        return a.id < b.id
    }

    static func reference(to container: ObservedContainer) -> PlanStep.ContainerRef {
        PlanStep.ContainerRef(service: container.service ?? container.name, number: container.number ?? 0,
                              name: container.name, id: container.id)
    }

    private static func users(of key: String, in scope: Set<String>, _ keys: (Service) -> [String],
                              _ services: [String: Service]) -> String {
        scope.sorted().filter { services[$0].map(keys)?.contains(key) == true }.joined(separator: ", ")
    }

    /// `sha256:0123456789ab` of a long id, for reasons that fit on a line.
    static func abbreviated(_ id: String) -> String {
        let (prefix, hex) = id.hasPrefix("sha256:") ? ("sha256:", id.dropFirst(7)) : ("", Substring(id))
        return prefix + hex.prefix(12)
    }
}

typealias StopPolicy = PlanStep.StopPolicy

extension PlanStep.StopPolicy {
    /// `stop_signal` and `stop_grace_period` of `service`, `-t` overriding the grace period.
    public static func of(_ service: Service, timeout: Double?) -> Self {
        Self(signal: service.stopSignal ?? "SIGTERM",
             gracePeriod: timeout ?? service.stopGracePeriod.map { Double($0.nanoseconds) / 1e9 } ?? 10)
    }

    /// How to stop `container`: the stop settings it was created with, when its configuration was
    /// recorded (its process was started expecting those), else `fallback`.
    static func of(_ container: ObservedContainer, fallback: Self, timeout: Double?) -> Self {
        guard let recorded = container.recordedConfig else { return fallback }
        func text(_ key: String) -> String? {
            // Both values are plain JSON strings (`"SIGINT"`, `"3s"`): nothing to unescape.
            recorded[key].map { String($0.trimmingPrefix("\"").dropLast($0.hasSuffix("\"") ? 1 : 0)) }
        }
        let grace = text("stop_grace_period").flatMap { try? ComposeDuration(parsing: $0) }
        return Self(signal: text("stop_signal") ?? "SIGTERM",
                    gracePeriod: timeout ?? grace.map { Double($0.nanoseconds) / 1e9 } ?? 10)
    }

    /// SIGTERM and 10 s (or `-t`), for containers whose service is unknown.
    public static func defaults(_ timeout: Double?) -> Self { Self(signal: "SIGTERM", gracePeriod: timeout ?? 10) }
}

extension Array where Element: Hashable {
    /// The elements in order, each once.
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
