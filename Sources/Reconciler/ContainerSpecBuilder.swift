import ComposeSpec
import EngineAPI

/// One compose service replica → a `ContainerSpec`. Pure: everything that needs I/O (image ids,
/// ids of the containers `service:x` names) comes in as arguments.
public enum ContainerSpecBuilder {
    /// The spec of replica `number` of `service`.
    /// - Parameters:
    ///   - imageID: the id `ensureImage` returned.
    ///   - containerIDs: the first replica's container id of each service, for `network_mode`,
    ///     `ipc`, `pid` `service:x` and `volumes_from`.
    public static func spec(for service: DesiredState.DesiredService, number: Int, desired: DesiredState,
                            imageID: String, containerIDs: [String: String]) throws(ReconcilerError) -> ContainerSpec {
        let compose = service.service
        let project = desired.project
        let name = Planner.containerName(compose, number: number, project: project.name)
        var spec = ContainerSpec(name: name, image: service.imageReference, imageID: imageID)

        func containerID(_ reference: String, key: String) throws(ReconcilerError) -> String {
            if reference.hasPrefix("container:") { return String(reference.dropFirst("container:".count)) }
            let target = reference.hasPrefix("service:") ? String(reference.dropFirst("service:".count)) : reference
            guard let id = containerIDs[target] else {
                throw ReconcilerError(.skipped, service: compose.name, object: name,
                                      "\(key) refers to service \(target), which has no container")
            }
            return id
        }
        func mode(_ value: String?, key: String) throws(ReconcilerError) -> ContainerSpec.NamespaceMode {
            switch value {
            case nil, "private", "shareable", "bridge"?: return .private
            case "host"?: return .host
            case "none"?: return .none
            case let value?: return .container(try containerID(value, key: key))
            }
        }

        var labels = compose.labels ?? [:]
        labels.merge(desired.projectLabels) { _, new in new }
        labels[ResourceLabels.service] = compose.name
        labels[ResourceLabels.containerNumber] = String(number)
        labels[ResourceLabels.configHash] = service.configHash
        labels[ResourceLabels.oneoff] = ResourceLabels.boolean(false)
        labels[ResourceLabels.workingDir] = project.workingDirectory
        labels[ResourceLabels.configFiles] = project.composeFiles.joined(separator: ",")
        labels[ResourceLabels.image] = imageID
        let dependencies = (compose.dependsOn ?? [:]).sorted { $0.key < $1.key }.map {
            ResourceLabels.Dependency(service: $0.key, condition: $0.value.condition.rawValue, restart: $0.value.restart ?? false)
        }
        labels[ResourceLabels.dependsOn] = ResourceLabels.dependsOnValue(dependencies)
        spec.labels = labels

        spec.entrypoint = compose.entrypoint
        spec.command = compose.command
        // The loader's normalization has already folded `env_file` into `environment`.
        var environment: [String: String] = [:]
        for (key, value) in compose.environment ?? [:] {
            // A bare `KEY` takes the value from the environment compose was run in, if any.
            if let value = value ?? project.environment[key] { environment[key] = value } else { environment[key] = nil }
        }
        spec.environment = environment
        spec.workingDir = compose.workingDir
        spec.user = compose.user
        spec.groupAdd = compose.groupAdd ?? []
        spec.hostname = compose.hostname
        spec.domainname = compose.domainname
        spec.tty = compose.tty ?? false
        spec.stdinOpen = compose.stdinOpen ?? false
        spec.initProcess = compose.initProcess ?? false

        spec.mounts = try mounts(of: compose, desired: desired)
        spec.volumesFrom = []
        for source in compose.volumesFrom ?? [] {
            var parts = source.split(separator: ":").map(String.init)
            let readOnly = parts.last == "ro"
            if parts.last == "ro" || parts.last == "rw" { parts.removeLast() }
            let reference = parts.joined(separator: ":")
            spec.volumesFrom.append(.init(containerID: try containerID(reference, key: "volumes_from"), readOnly: readOnly))
        }

        spec.namespaces.network = try mode(compose.networkMode, key: "network_mode")
        spec.namespaces.ipc = try mode(compose.ipc, key: "ipc")
        spec.namespaces.pid = try mode(compose.pid, key: "pid")
        spec.namespaces.uts = try mode(compose.uts, key: "uts")
        spec.namespaces.userns = compose.usernsMode
        spec.namespaces.cgroup = compose.cgroup
        if spec.namespaces.network == .private {
            for key in desired.networkKeys(of: compose) {
                let attachment = compose.networks?[key] ?? nil
                var aliases = [compose.name]
                if let containerName = compose.containerName { aliases.append(containerName) }
                aliases += attachment?.aliases ?? []
                var network = ContainerSpec.NetworkAttachment(network: desired.networkName(key), aliases: aliases.uniqued())
                network.ipv4Address = attachment?.ipv4Address
                network.ipv6Address = attachment?.ipv6Address
                network.macAddress = attachment?.macAddress ?? compose.macAddress
                network.interfaceName = attachment?.interfaceName
                network.priority = attachment?.gwPriority ?? attachment?.priority ?? 0
                spec.networks.append(network)
            }
        }
        spec.ports = (compose.ports ?? []).map {
            ContainerSpec.PortBinding(hostIP: $0.hostIP, hostPort: $0.published, containerPort: $0.target, proto: $0.protocol ?? "tcp")
        }
        spec.dns.servers = compose.dns ?? []
        spec.dns.search = compose.dnsSearch ?? []
        spec.dns.options = compose.dnsOpt ?? []
        spec.dns.extraHosts = compose.extraHosts ?? []

        let limits = compose.deploy?.resources?.limits
        spec.resources.memoryBytes = compose.memLimit?.bytes ?? limits?.memory?.bytes
        spec.resources.memoryReservationBytes = compose.memReservation?.bytes ?? compose.deploy?.resources?.reservations?.memory?.bytes
        spec.resources.memorySwapBytes = compose.memswapLimit?.bytes
        spec.resources.cpus = compose.cpus ?? limits?.cpus
        spec.resources.cpuShares = compose.cpuShares
        spec.resources.cpuset = compose.cpuset
        spec.resources.pidsLimit = compose.pidsLimit ?? limits?.pids
        spec.resources.shmSizeBytes = compose.shmSize?.bytes
        spec.resources.oomScoreAdj = compose.oomScoreAdj
        for (key, limit) in compose.ulimits ?? [:] {
            spec.resources.ulimits[key] = ContainerSpec.Ulimit(soft: limit.limits.soft, hard: limit.limits.hard)
        }

        spec.security.privileged = compose.privileged ?? false
        spec.security.capAdd = compose.capAdd ?? []
        spec.security.capDrop = compose.capDrop ?? []
        spec.security.securityOpt = compose.securityOpt ?? []
        spec.security.readOnlyRootfs = compose.readOnly ?? false
        spec.security.sysctls = compose.sysctls ?? [:]
        spec.security.devices = (compose.devices ?? []).map { "\($0.source):\($0.target):\($0.permissions)" }

        let stop = PlanStep.StopPolicy.of(compose, timeout: nil)
        spec.stopSignal = stop.signal
        spec.stopGracePeriod = stop.gracePeriod
        spec.restartPolicy = restartPolicy(of: compose)
        if let restartPolicy = compose.deploy?.restartPolicy {
            func seconds(_ duration: ComposeDuration?) -> Double? { duration.map { Double($0.nanoseconds) / 1e9 } }
            spec.restartDelaySeconds = seconds(restartPolicy.delay)
            spec.restartMaxAttempts = restartPolicy.maxAttempts
            spec.restartWindowSeconds = seconds(restartPolicy.window)
        }
        if let check = compose.healthcheck, check.disable == true || check.test == ["NONE"] {
            spec.healthcheck = ContainerSpec.Healthcheck(test: ["NONE"])
        } else if let check = compose.healthcheck {
            var health = ContainerSpec.Healthcheck(test: check.test ?? [])
            func seconds(_ duration: ComposeDuration?) -> Double? { duration.map { Double($0.nanoseconds) / 1e9 } }
            health.intervalSeconds = seconds(check.interval)
            health.timeoutSeconds = seconds(check.timeout)
            health.startPeriodSeconds = seconds(check.startPeriod)
            health.startIntervalSeconds = seconds(check.startInterval)
            health.retries = check.retries
            spec.healthcheck = health
        }
        if let logging = compose.logging {
            // An option given as a bare key (no value) carries nothing a driver could use.
            spec.logging = ContainerSpec.Logging(driver: logging.driver,
                                                 options: (logging.options ?? [:]).compactMapValues { $0 })
        }
        do {
            spec.recordedConfig = try service.recordedConfig()
        } catch {
            throw ReconcilerError(.invalidProject, service: compose.name, object: name, "cannot encode its configuration: \(error)")
        }
        return spec
    }

    /// `deploy.restart_policy.condition` in `restart`'s words.
    /// `restart`, else `deploy.restart_policy.condition` in `restart`'s words, else `no`.
    static func restartPolicy(of service: Service) -> String {
        service.restart ?? restartPolicy(service.deploy?.restartPolicy?.condition) ?? "no"
    }

    static func restartPolicy(_ condition: String?) -> String? {
        switch condition {
        case "any"?: "always"
        case "on-failure"?: "on-failure"
        case "none"?: "no"
        default: nil
        }
    }

    static func mounts(of service: Service, desired: DesiredState) throws(ReconcilerError) -> [ContainerSpec.Mount] {
        var mounts: [ContainerSpec.Mount] = []
        for volume in service.volumes ?? [] {
            var mount: ContainerSpec.Mount
            switch volume.type {
            case .bind:
                mount = .init(kind: .bind, source: volume.source, target: volume.target, readOnly: volume.readOnly ?? false)
                mount.createHostPath = volume.createsHostPath
                mount.propagation = volume.bind?.propagation
                mount.selinux = volume.bind?.selinux
            case .volume:
                if let source = volume.source, !source.isEmpty {
                    let name = desired.project.volumes[source] != nil ? desired.volumeName(source) : source
                    mount = .init(kind: .volume, source: name, target: volume.target, readOnly: volume.readOnly ?? false)
                } else {
                    mount = .init(kind: .anonymousVolume, source: nil, target: volume.target, readOnly: volume.readOnly ?? false)
                }
                mount.noCopy = volume.volume?.nocopy ?? false
                mount.subpath = volume.volume?.subpath
            case .tmpfs:
                mount = .init(kind: .tmpfs, source: nil, target: volume.target, readOnly: volume.readOnly ?? false)
                mount.size = volume.tmpfs?.size?.bytes
                mount.mode = volume.tmpfs?.mode
            default:
                // npipe, cluster and image mounts have no meaning here; ComposeSpec warns about them.
                continue
            }
            mounts.append(mount)
        }
        for entry in service.tmpfs ?? [] {
            // `PATH[:OPTIONS]`, the options as docker passes them to the kernel (`size=64m,noexec`).
            let parts = entry.split(separator: ":", maxSplits: 1).map(String.init)
            let options = parts.count > 1 ? parts[1].split(separator: ",").map(String.init) : []
            var mount = ContainerSpec.Mount(kind: .tmpfs, source: nil, target: parts.first ?? entry, readOnly: options.contains("ro"))
            mount.options = options.filter { $0 != "ro" && $0 != "rw" }
            mounts.append(mount)
        }
        for (reference, isSecret) in (service.secrets ?? []).map({ ($0, true) }) + (service.configs ?? []).map({ ($0, false) }) {
            let definition = isSecret ? desired.project.secrets[reference.source] : desired.project.configs[reference.source]
            let what = "\(isSecret ? "secret" : "config") \(reference.source)"
            guard let definition else {
                throw ReconcilerError(.invalidProject, service: service.name, object: what,
                                      "is not defined: add it under the top-level \(isSecret ? "secrets" : "configs")")
            }
            if definition.external == true || (definition.file == nil && definition.environment == nil && definition.content == nil) {
                // External (or driver-made) secrets and configs live in a Docker swarm.
                throw ReconcilerError(.invalidProject, service: service.name, object: what,
                                      "external secrets and configs need a swarm, which Berth does not use: give it a file, environment or content instead")
            }
            let target: String
            if isSecret {
                let relative = reference.target ?? reference.source
                target = relative.hasPrefix("/") ? relative : "/run/secrets/\(relative)"
            } else {
                target = reference.target ?? "/\(reference.source)"
            }
            var mount = ContainerSpec.Mount(kind: .file, source: definition.file, target: target, readOnly: true)
            mount.name = what
            if let variable = definition.environment {
                mount.content = desired.project.environment[variable] ?? ""
            } else if let content = definition.content {
                mount.content = content
            }
            mount.uid = reference.uid
            mount.gid = reference.gid
            mount.mode = reference.mode.flatMap { UInt32($0, radix: 8) }
            mounts.append(mount)
        }
        return mounts
    }
}
