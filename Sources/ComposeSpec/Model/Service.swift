import YAML

/// One service of a project, every key in its long (canonical) form. Properties are declared in
/// the alphabetical order of their compose keys, which is the order `berth config` prints them.
public struct Service: Sendable, Hashable, Codable {
    public var name: String

    public var annotations: [String: String]?
    public var attach: Bool?
    public var blkioConfig: ComposeValue?
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
    public var cpuRTPeriod: ComposeValue?
    public var cpuRTRuntime: ComposeValue?
    public var cpuShares: Int?
    public var cpus: Double?
    public var cpuset: String?
    public var credentialSpec: ComposeValue?
    public var dependsOn: [String: ServiceDependency]?
    public var deploy: DeployConfig?
    public var develop: ComposeValue?
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
    public var gpus: ComposeValue?
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
    public var models: ComposeValue?
    public var networkMode: String?
    /// Networks by name; a nil attachment means "attached with defaults".
    public var networks: [String: ServiceNetwork?]?
    public var oomKillDisable: Bool?
    public var oomScoreAdj: Int?
    public var pid: String?
    public var pidsLimit: Int?
    public var platform: String?
    public var ports: [ServicePort]?
    public var postStart: ComposeValue?
    public var preStart: ComposeValue?
    public var preStop: ComposeValue?
    public var privileged: Bool?
    public var profiles: [String]?
    public var provider: ComposeValue?
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

    public init(from decoder: any Decoder) throws {
        let node = try NodeDecoder.of(decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        guard case .key(let name)? = node.path.components.last else {
            throw node.fail("a service must be decoded under its name")
        }
        self.name = name
        func child(_ key: CodingKeys) -> NodeDecoder? { node.optionalChild(key.rawValue) }

        annotations = try child(.annotations)?.stringMapNoNulls()
        attach = try c.decodeIfPresent(Bool.self, forKey: .attach)
        blkioConfig = try c.decodeIfPresent(ComposeValue.self, forKey: .blkioConfig)
        build = try c.decodeIfPresent(BuildConfig.self, forKey: .build)
        capAdd = try c.decodeIfPresent([String].self, forKey: .capAdd)
        capDrop = try c.decodeIfPresent([String].self, forKey: .capDrop)
        cgroup = try c.decodeIfPresent(String.self, forKey: .cgroup)
        if let cgroup, cgroup != "host" && cgroup != "private" {
            throw child(.cgroup).map { $0.fail("must be \"host\" or \"private\", not \"\(cgroup)\"") } ?? node.fail("")
        }
        cgroupParent = try c.decodeIfPresent(String.self, forKey: .cgroupParent)
        command = try child(.command)?.command()
        if node.node["command"]?.resolved == .null, node.node["command"] != nil { command = nil }
        configs = try c.decodeIfPresent([ServiceFileReference].self, forKey: .configs)
        containerName = try c.decodeIfPresent(String.self, forKey: .containerName)
        cpuCount = try c.decodeIfPresent(Int.self, forKey: .cpuCount)
        cpuPercent = try c.decodeIfPresent(Double.self, forKey: .cpuPercent)
        cpuPeriod = try c.decodeIfPresent(Int.self, forKey: .cpuPeriod)
        cpuQuota = try c.decodeIfPresent(Int.self, forKey: .cpuQuota)
        cpuRTPeriod = try c.decodeIfPresent(ComposeValue.self, forKey: .cpuRTPeriod)
        cpuRTRuntime = try c.decodeIfPresent(ComposeValue.self, forKey: .cpuRTRuntime)
        cpuShares = try c.decodeIfPresent(Int.self, forKey: .cpuShares)
        cpus = try c.decodeIfPresent(Double.self, forKey: .cpus)
        cpuset = try c.decodeIfPresent(String.self, forKey: .cpuset)
        credentialSpec = try c.decodeIfPresent(ComposeValue.self, forKey: .credentialSpec)
        dependsOn = try child(.dependsOn)?.dependencies()
        deploy = try c.decodeIfPresent(DeployConfig.self, forKey: .deploy)
        develop = try c.decodeIfPresent(ComposeValue.self, forKey: .develop)
        deviceCgroupRules = try c.decodeIfPresent([String].self, forKey: .deviceCgroupRules)
        devices = try c.decodeIfPresent([DeviceMapping].self, forKey: .devices)
        dns = try child(.dns)?.stringOrList()
        dnsOpt = try c.decodeIfPresent([String].self, forKey: .dnsOpt)
        dnsSearch = try child(.dnsSearch)?.stringOrList()
        domainname = try c.decodeIfPresent(String.self, forKey: .domainname)
        entrypoint = try child(.entrypoint)?.command()
        if let envFile = child(.envFile) {
            self.envFile = envFile.node.sequenceItems != nil
                ? try envFile.decode([EnvFileReference].self)
                : [EnvFileReference(path: try envFile.string())]
        }
        environment = try child(.environment)?.stringMap()
        expose = try c.decodeIfPresent([String].self, forKey: .expose)
        externalLinks = try c.decodeIfPresent([String].self, forKey: .externalLinks)
        extraHosts = try child(.extraHosts)?.extraHosts()
        gpus = try c.decodeIfPresent(ComposeValue.self, forKey: .gpus)
        groupAdd = try c.decodeIfPresent([String].self, forKey: .groupAdd)
        healthcheck = try c.decodeIfPresent(HealthCheck.self, forKey: .healthcheck)
        hostname = try c.decodeIfPresent(String.self, forKey: .hostname)
        image = try c.decodeIfPresent(String.self, forKey: .image)
        initProcess = try c.decodeIfPresent(Bool.self, forKey: .initProcess)
        ipc = try c.decodeIfPresent(String.self, forKey: .ipc)
        isolation = try c.decodeIfPresent(String.self, forKey: .isolation)
        labelFile = try child(.labelFile)?.stringOrList()
        labels = try child(.labels)?.stringMapNoNulls()
        links = try c.decodeIfPresent([String].self, forKey: .links)
        logging = try c.decodeIfPresent(LoggingConfig.self, forKey: .logging)
        macAddress = try c.decodeIfPresent(String.self, forKey: .macAddress)
        memLimit = try child(.memLimit)?.byteSize()
        memReservation = try child(.memReservation)?.byteSize()
        memSwappiness = try c.decodeIfPresent(Int.self, forKey: .memSwappiness)
        memswapLimit = try child(.memswapLimit)?.byteSize()
        models = try c.decodeIfPresent(ComposeValue.self, forKey: .models)
        networkMode = try c.decodeIfPresent(String.self, forKey: .networkMode)
        networks = try child(.networks)?.serviceNetworks()
        oomKillDisable = try c.decodeIfPresent(Bool.self, forKey: .oomKillDisable)
        oomScoreAdj = try c.decodeIfPresent(Int.self, forKey: .oomScoreAdj)
        if let oomScoreAdj, !(-1000...1000).contains(oomScoreAdj) {
            throw child(.oomScoreAdj).map { $0.fail("must be between -1000 and 1000") } ?? node.fail("")
        }
        pid = try c.decodeIfPresent(String.self, forKey: .pid)
        pidsLimit = try c.decodeIfPresent(Int.self, forKey: .pidsLimit)
        platform = try c.decodeIfPresent(String.self, forKey: .platform)
        ports = try child(.ports)?.ports()
        postStart = try c.decodeIfPresent(ComposeValue.self, forKey: .postStart)
        preStart = try c.decodeIfPresent(ComposeValue.self, forKey: .preStart)
        preStop = try c.decodeIfPresent(ComposeValue.self, forKey: .preStop)
        privileged = try c.decodeIfPresent(Bool.self, forKey: .privileged)
        profiles = try c.decodeIfPresent([String].self, forKey: .profiles)
        provider = try c.decodeIfPresent(ComposeValue.self, forKey: .provider)
        pullPolicy = try c.decodeIfPresent(String.self, forKey: .pullPolicy)
        if let pullPolicy, !PullPolicy.isValid(pullPolicy) {
            throw child(.pullPolicy).map {
                $0.fail("unknown pull policy \"\(pullPolicy)\" (expected always, missing, never, build, daily, weekly or every_<duration>)")
            } ?? node.fail("")
        }
        pullRefreshAfter = try c.decodeIfPresent(String.self, forKey: .pullRefreshAfter)
        readOnly = try c.decodeIfPresent(Bool.self, forKey: .readOnly)
        restart = try c.decodeIfPresent(String.self, forKey: .restart)
        if let restart, !Self.isValidRestart(restart) {
            throw child(.restart).map {
                $0.fail("unknown restart policy \"\(restart)\" (expected no, always, on-failure[:N] or unless-stopped)")
            } ?? node.fail("")
        }
        runtime = try c.decodeIfPresent(String.self, forKey: .runtime)
        scale = try c.decodeIfPresent(Int.self, forKey: .scale)
        if let scale, scale < 0 { throw child(.scale).map { $0.fail("must not be negative") } ?? node.fail("") }
        secrets = try c.decodeIfPresent([ServiceFileReference].self, forKey: .secrets)
        securityOpt = try c.decodeIfPresent([String].self, forKey: .securityOpt)
        shmSize = try child(.shmSize)?.byteSize()
        stdinOpen = try c.decodeIfPresent(Bool.self, forKey: .stdinOpen)
        stopGracePeriod = try child(.stopGracePeriod)?.duration()
        stopSignal = try c.decodeIfPresent(String.self, forKey: .stopSignal)
        storageOpt = try child(.storageOpt)?.stringMapNoNulls()
        sysctls = try child(.sysctls)?.stringMapNoNulls()
        tmpfs = try child(.tmpfs)?.stringOrList()
        tty = try c.decodeIfPresent(Bool.self, forKey: .tty)
        ulimits = try c.decodeIfPresent([String: Ulimit].self, forKey: .ulimits)
        useAPISocket = try c.decodeIfPresent(Bool.self, forKey: .useAPISocket)
        user = try c.decodeIfPresent(String.self, forKey: .user)
        usernsMode = try c.decodeIfPresent(String.self, forKey: .usernsMode)
        uts = try c.decodeIfPresent(String.self, forKey: .uts)
        volumes = try child(.volumes)?.serviceVolumes()
        volumesFrom = try c.decodeIfPresent([String].self, forKey: .volumesFrom)
        workingDir = try c.decodeIfPresent(String.self, forKey: .workingDir)
        extensions = try node.extensions()

        if let replicas = deploy?.replicas, let scale, replicas != scale {
            throw child(.scale).map {
                $0.fail(.conflict, "scale (\(scale)) and deploy.replicas (\(replicas)) disagree")
            } ?? node.fail("")
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

    func serviceNetworks() throws -> [String: ServiceNetwork?] {
        var result: [String: ServiceNetwork?] = [:]
        if node.sequenceItems != nil {
            for name in try decode([String].self) { result[name] = .some(nil) }
            return result
        }
        guard let pairs = node.mappingPairs else { throw typeMismatch("a list or a mapping") }
        for pair in pairs {
            let name = pair.key.scalarText ?? ""
            let value = child(pair.value, key: name)
            result[name] = value.isNull ? .some(nil) : try value.decode(ServiceNetwork.self)
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
