import YAML

/// One service of a project, every key in its long (canonical) form. Properties are declared in
/// the alphabetical order of their compose keys, which is the order `berth config` prints them.
public struct Service: Sendable, Hashable, Codable {
    public var name: String

    public var annotations: [String: String]?
    public var attach: Bool?
    public var blkioConfig: BlkioConfig?
    public var build: BuildConfig?
    public var capAdd: [String]?
    public var capDrop: [String]?
    public var cgroup: String?
    public var cgroupParent: String?
    public var command: [String]?
    public var configs: [ServiceFileReference]?
    public var containerName: String?
    public var cpuCount: Int?
    public var cpuPercent: Double?
    public var cpuPeriod: Int?
    public var cpuQuota: Int?
    public var cpuRTPeriod: RealtimeMicroseconds?
    public var cpuRTRuntime: RealtimeMicroseconds?
    public var cpuShares: Int?
    public var cpus: Double?
    public var cpuset: String?
    public var credentialSpec: CredentialSpec?
    public var dependsOn: [String: ServiceDependency]?
    public var deploy: DeployConfig?
    public var develop: DevelopConfig?
    public var deviceCgroupRules: [String]?
    public var devices: [DeviceMapping]?
    public var dns: [String]?
    public var dnsOpt: [String]?
    public var dnsSearch: [String]?
    public var domainname: String?
    public var entrypoint: [String]?
    public var envFile: [EnvFileReference]?
    public var environment: [String: String?]?
    public var expose: [String]?
    public var externalLinks: [String]?
    public var extraHosts: [String]?
    /// GPU requests; `gpus: all` is one request for all GPUs, as compose-go canonicalizes it.
    public var gpus: [DeviceRequest]?
    public var groupAdd: [String]?
    public var healthcheck: HealthCheck?
    public var hostname: String?
    public var image: String?
    public var initProcess: Bool?
    public var ipc: String?
    public var isolation: String?
    public var labelFile: [String]?
    public var labels: [String: String]?
    public var links: [String]?
    public var logging: LoggingConfig?
    public var macAddress: String?
    public var memLimit: ByteSize?
    public var memReservation: ByteSize?
    public var memSwappiness: Int?
    public var memswapLimit: ByteSize?
    /// Models by name (top-level `models`); a nil entry means "used with default variables".
    public var models: [String: ServiceModel?]?
    public var networkMode: String?
    /// Networks by name; a nil attachment means "attached with defaults".
    public var networks: [String: ServiceNetwork?]?
    public var oomKillDisable: Bool?
    public var oomScoreAdj: Int?
    public var pid: String?
    public var pidsLimit: Int?
    public var platform: String?
    public var ports: [ServicePort]?
    public var postStart: [ServiceHook]?
    public var preStart: [PreStartHook]?
    public var preStop: [ServiceHook]?
    public var privileged: Bool?
    public var profiles: [String]?
    public var provider: ServiceProvider?
    public var pullPolicy: String?
    public var pullRefreshAfter: String?
    public var readOnly: Bool?
    public var restart: String?
    public var runtime: String?
    public var scale: Int?
    public var secrets: [ServiceFileReference]?
    public var securityOpt: [String]?
    public var shmSize: ByteSize?
    public var stdinOpen: Bool?
    public var stopGracePeriod: ComposeDuration?
    public var stopSignal: String?
    public var storageOpt: [String: String]?
    public var sysctls: [String: String]?
    public var tmpfs: [String]?
    public var tty: Bool?
    public var ulimits: [String: Ulimit]?
    public var useAPISocket: Bool?
    public var user: String?
    public var usernsMode: String?
    public var uts: String?
    public var volumes: [ServiceVolume]?
    public var volumesFrom: [String]?
    public var workingDir: String?

    /// `x-…` keys of the service, printed by `config` and part of the config hash.
    public var extensions: [String: ComposeValue] = [:]

    public init(name: String) { self.name = name }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case annotations, attach
        case blkioConfig = "blkio_config"
        case build
        case capAdd = "cap_add"
        case capDrop = "cap_drop"
        case cgroup
        case cgroupParent = "cgroup_parent"
        case command, configs
        case containerName = "container_name"
        case cpuCount = "cpu_count"
        case cpuPercent = "cpu_percent"
        case cpuPeriod = "cpu_period"
        case cpuQuota = "cpu_quota"
        case cpuRTPeriod = "cpu_rt_period"
        case cpuRTRuntime = "cpu_rt_runtime"
        case cpuShares = "cpu_shares"
        case cpus, cpuset
        case credentialSpec = "credential_spec"
        case dependsOn = "depends_on"
        case deploy, develop
        case deviceCgroupRules = "device_cgroup_rules"
        case devices, dns
        case dnsOpt = "dns_opt"
        case dnsSearch = "dns_search"
        case domainname, entrypoint
        case envFile = "env_file"
        case environment, expose
        case externalLinks = "external_links"
        case extraHosts = "extra_hosts"
        case gpus
        case groupAdd = "group_add"
        case healthcheck, hostname, image
        case initProcess = "init"
        case ipc, isolation
        case labelFile = "label_file"
        case labels, links, logging
        case macAddress = "mac_address"
        case memLimit = "mem_limit"
        case memReservation = "mem_reservation"
        case memSwappiness = "mem_swappiness"
        case memswapLimit = "memswap_limit"
        case models
        case networkMode = "network_mode"
        case networks
        case oomKillDisable = "oom_kill_disable"
        case oomScoreAdj = "oom_score_adj"
        case pid
        case pidsLimit = "pids_limit"
        case platform, ports
        case postStart = "post_start"
        case preStart = "pre_start"
        case preStop = "pre_stop"
        case privileged, profiles, provider
        case pullPolicy = "pull_policy"
        case pullRefreshAfter = "pull_refresh_after"
        case readOnly = "read_only"
        case restart, runtime, scale, secrets
        case securityOpt = "security_opt"
        case shmSize = "shm_size"
        case stdinOpen = "stdin_open"
        case stopGracePeriod = "stop_grace_period"
        case stopSignal = "stop_signal"
        case storageOpt = "storage_opt"
        case sysctls, tmpfs, tty, ulimits
        case useAPISocket = "use_api_socket"
        case user
        case usernsMode = "userns_mode"
        case uts, volumes
        case volumesFrom = "volumes_from"
        case workingDir = "working_dir"
    }

    /// Walks the keys the file has (a service sets a handful of the ~95 keys), so a large
    /// project decodes in time linear in what it says.
    public init(from decoder: any Decoder) throws {
        let node = try NodeDecoder.of(decoder)
        guard case .key(let name)? = node.path.components.last else {
            throw node.fail("a service must be decoded under its name")
        }
        self.name = name
        guard let pairs = node.node.mappingPairs else {
            if node.isNull { return }
            throw node.typeMismatch("a mapping")
        }
        for pair in pairs {
            guard let key = pair.key.scalarText else {
                throw ComposeError(.invalidType, at: pair.key.location, path: node.path.description, "keys must be strings")
            }
            let value = node.child(pair.value, key: key)
            if key.hasPrefix("x-") {
                extensions[key] = try ComposeValue(node: pair.value, path: value.path)
                continue
            }
            guard let field = CodingKeys(rawValue: key) else {
                throw ComposeError(.unknownKey, at: pair.key.location, path: node.path.description,
                                   "unknown key \"\(key)\"\(KeyNames.suggestion(for: key, among: KeyNames.of(CodingKeys.self)))")
            }
            // A null value is the same as no value, as in compose.
            if value.isNull { continue }
            try decode(field, from: value)
        }
        try validate(node)
    }

    private mutating func decode(_ field: CodingKeys, from value: NodeDecoder) throws {
        switch field {
        case .annotations: annotations = try value.stringMapNoNulls()
        case .attach: attach = try value.bool()
        case .blkioConfig: blkioConfig = try value.decode(BlkioConfig.self)
        case .build: build = try value.decode(BuildConfig.self)
        case .capAdd: capAdd = try value.decode([String].self)
        case .capDrop: capDrop = try value.decode([String].self)
        case .cgroup: cgroup = try value.string()
        case .cgroupParent: cgroupParent = try value.string()
        case .command: command = try value.command()
        case .configs: configs = try value.decode([ServiceFileReference].self)
        case .containerName: containerName = try value.string()
        case .cpuCount: cpuCount = try value.int()
        case .cpuPercent: cpuPercent = try value.double()
        case .cpuPeriod: cpuPeriod = try value.int()
        case .cpuQuota: cpuQuota = try value.int()
        case .cpuRTPeriod: cpuRTPeriod = try value.decode(RealtimeMicroseconds.self)
        case .cpuRTRuntime: cpuRTRuntime = try value.decode(RealtimeMicroseconds.self)
        case .cpuShares: cpuShares = try value.int()
        case .cpus: cpus = try value.double()
        case .cpuset: cpuset = try value.string()
        case .credentialSpec: credentialSpec = try value.decode(CredentialSpec.self)
        case .dependsOn: dependsOn = try value.dependencies()
        case .deploy: deploy = try value.decode(DeployConfig.self)
        case .develop: develop = try value.decode(DevelopConfig.self)
        case .deviceCgroupRules: deviceCgroupRules = try value.decode([String].self)
        case .devices: devices = try value.decode([DeviceMapping].self)
        case .dns: dns = try value.stringOrList()
        case .dnsOpt: dnsOpt = try value.decode([String].self)
        case .dnsSearch: dnsSearch = try value.stringOrList()
        case .domainname: domainname = try value.string()
        case .entrypoint: entrypoint = try value.command()
        case .envFile:
            envFile = value.node.sequenceItems != nil
                ? try value.decode([EnvFileReference].self)
                : [EnvFileReference(path: try value.string())]
        case .environment: environment = try value.stringMap()
        case .expose: expose = try value.decode([String].self)
        case .externalLinks: externalLinks = try value.decode([String].self)
        case .extraHosts: extraHosts = try value.extraHosts()
        case .gpus: gpus = try value.gpus()
        case .groupAdd: groupAdd = try value.decode([String].self)
        case .healthcheck: healthcheck = try value.decode(HealthCheck.self)
        case .hostname: hostname = try value.string()
        case .image: image = try value.string()
        case .initProcess: initProcess = try value.bool()
        case .ipc: ipc = try value.string()
        case .isolation: isolation = try value.string()
        case .labelFile: labelFile = try value.stringOrList()
        case .labels: labels = try value.stringMapNoNulls()
        case .links: links = try value.decode([String].self)
        case .logging: logging = try value.decode(LoggingConfig.self)
        case .macAddress: macAddress = try value.string()
        case .memLimit: memLimit = try value.byteSize()
        case .memReservation: memReservation = try value.byteSize()
        case .memSwappiness: memSwappiness = try value.int()
        case .memswapLimit: memswapLimit = try value.byteSize()
        case .models: models = try value.serviceModels()
        case .networkMode: networkMode = try value.string()
        case .networks: networks = try value.serviceNetworks()
        case .oomKillDisable: oomKillDisable = try value.bool()
        case .oomScoreAdj: oomScoreAdj = try value.int()
        case .pid: pid = try value.string()
        case .pidsLimit: pidsLimit = try value.int()
        case .platform: platform = try value.string()
        case .ports: ports = try value.ports()
        case .postStart: postStart = try value.decode([ServiceHook].self)
        case .preStart: preStart = try value.decode([PreStartHook].self)
        case .preStop: preStop = try value.decode([ServiceHook].self)
        case .privileged: privileged = try value.bool()
        case .profiles: profiles = try value.decode([String].self)
        case .provider: provider = try value.decode(ServiceProvider.self)
        case .pullPolicy: pullPolicy = try value.string()
        case .pullRefreshAfter: pullRefreshAfter = try value.string()
        case .readOnly: readOnly = try value.bool()
        case .restart: restart = try value.string()
        case .runtime: runtime = try value.string()
        case .scale: scale = try value.int()
        case .secrets: secrets = try value.decode([ServiceFileReference].self)
        case .securityOpt: securityOpt = try value.decode([String].self)
        case .shmSize: shmSize = try value.byteSize()
        case .stdinOpen: stdinOpen = try value.bool()
        case .stopGracePeriod: stopGracePeriod = try value.duration()
        case .stopSignal: stopSignal = try value.string()
        case .storageOpt: storageOpt = try value.stringMapNoNulls()
        case .sysctls: sysctls = try value.stringMapNoNulls()
        case .tmpfs: tmpfs = try value.stringOrList()
        case .tty: tty = try value.bool()
        case .ulimits: ulimits = try value.decode([String: Ulimit].self)
        case .useAPISocket: useAPISocket = try value.bool()
        case .user: user = try value.string()
        case .usernsMode: usernsMode = try value.string()
        case .uts: uts = try value.string()
        case .volumes: volumes = try value.serviceVolumes()
        case .volumesFrom: volumesFrom = try value.decode([String].self)
        case .workingDir: workingDir = try value.string()
        }
    }

    /// Checks of single values that need more than their type.
    private func validate(_ node: NodeDecoder) throws {
        func fail(_ key: CodingKeys, code: ComposeError.Code = .invalidValue, _ message: String) -> ComposeError {
            (node.optionalChild(key.rawValue) ?? node).fail(code, message)
        }
        if let cgroup, cgroup != "host" && cgroup != "private" {
            throw fail(.cgroup, "must be \"host\" or \"private\", not \"\(cgroup)\"")
        }
        if let oomScoreAdj, !(-1000...1000).contains(oomScoreAdj) {
            throw fail(.oomScoreAdj, "must be between -1000 and 1000")
        }
        if let pullPolicy, !PullPolicy.isValid(pullPolicy) {
            throw fail(.pullPolicy, "unknown pull policy \"\(pullPolicy)\" (expected always, missing, never, build, daily, weekly or every_<duration>)")
        }
        if let restart, !Self.isValidRestart(restart) {
            throw fail(.restart, "unknown restart policy \"\(restart)\" (expected no, always, on-failure[:N] or unless-stopped)")
        }
        if let scale, scale < 0 { throw fail(.scale, "must not be negative") }
        if let replicas = deploy?.replicas, let scale, replicas != scale {
            throw fail(.scale, code: .conflict, "scale (\(scale)) and deploy.replicas (\(replicas)) disagree")
        }
    }

    static func isValidRestart(_ value: String) -> Bool {
        if ["no", "always", "unless-stopped", "on-failure"].contains(value) { return true }
        if value.hasPrefix("on-failure:"), let count = Int(value.dropFirst("on-failure:".count)), count >= 0 {
            return true
        }
        return false
    }

    /// Replicas the service runs with: `scale`, else `deploy.replicas`, else 1.
    public var replicas: Int { scale ?? deploy?.replicas ?? 1 }
}

extension NodeDecoder {
    func dependencies() throws -> [String: ServiceDependency] {
        var result: [String: ServiceDependency] = [:]
        if node.sequenceItems != nil {
            for name in try decode([String].self) { result[name] = ServiceDependency() }
            return result
        }
        guard let pairs = node.mappingPairs else { throw typeMismatch("a list or a mapping") }
        for pair in pairs {
            let name = pair.key.scalarText ?? ""
            result[name] = try child(pair.value, key: name).decode(ServiceDependency.self)
        }
        return result
    }

    func serviceNetworks() throws -> [String: ServiceNetwork?] { try namedMap(ServiceNetwork.self) }

    /// A list of names, or a mapping of name → settings (null for defaults), as a map: the shape of
    /// a service's `networks` and `models`.
    func namedMap<T: Decodable>(_ type: T.Type) throws -> [String: T?] {
        var result: [String: T?] = [:]
        if node.sequenceItems != nil {
            for name in try decode([String].self) { result[name] = .some(nil) }
            return result
        }
        guard let pairs = node.mappingPairs else { throw typeMismatch("a list or a mapping") }
        for pair in pairs {
            let name = pair.key.scalarText ?? ""
            let value = child(pair.value, key: name)
            result[name] = value.isNull ? .some(nil) : try value.decode(T.self)
        }
        return result
    }

    func ports() throws -> [ServicePort] {
        guard let items = node.sequenceItems else {
            if isNull { return [] }
            throw typeMismatch("a list")
        }
        var ports: [ServicePort] = []
        for (index, item) in items.enumerated() {
            let entry = child(item, index: index)
            do {
                if item.mappingPairs != nil {
                    let port = try entry.decode(ServicePort.self)
                    try port.validate()
                    ports.append(port)
                } else {
                    ports += try ServicePort.parseShort(try entry.string())
                }
            } catch let error as ComposeValueError {
                throw entry.fail(error.message)
            }
        }
        return ports
    }

    func serviceVolumes() throws -> [ServiceVolume] {
        guard let items = node.sequenceItems else {
            if isNull { return [] }
            throw typeMismatch("a list")
        }
        return try items.enumerated().map { index, item in
            let entry = child(item, index: index)
            do {
                if item.mappingPairs != nil {
                    let volume = try entry.decode(ServiceVolume.self)
                    if volume.target.isEmpty { throw entry.fail(.missingKey, "volume has no target") }
                    return volume
                }
                return try ServiceVolume.parseShort(try entry.string())
            } catch let error as ComposeValueError {
                throw entry.fail(error.message)
            }
        }
    }

    /// The `x-…` keys of a mapping.
    func extensions() throws -> [String: ComposeValue] {
        var result: [String: ComposeValue] = [:]
        for pair in node.mappingPairs ?? [] {
            guard let key = pair.key.scalarText, key.hasPrefix("x-") else { continue }
            result[key] = try ComposeValue(node: pair.value, path: path.appending(key))
        }
        return result
    }
}

/// `pull_policy` values.
public enum PullPolicy {
    public static func isValid(_ value: String) -> Bool {
        if ["always", "missing", "never", "build", "daily", "weekly", "if_not_present", "refresh"].contains(value) {
            return true
        }
        if value.hasPrefix("every_") {
            return (try? ComposeDuration(parsing: String(value.dropFirst("every_".count)))) != nil
        }
        return false
    }
}
