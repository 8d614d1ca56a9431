import YAML

/// `build`, in long form (a string is the context).
public struct BuildConfig: Sendable, Hashable, Codable {
    public var context: String?
    public var dockerfile: String?
    public var dockerfileInline: String?
    public var entitlements: [String]?
    public var args: [String: String?]?
    public var ssh: [String]?
    public var labels: [String: String]?
    public var cacheFrom: [String]?
    public var cacheTo: [String]?
    public var noCache: Bool?
    public var noCacheFilter: [String]?
    public var additionalContexts: [String: String]?
    public var network: String?
    public var provenance: BuildAttestation?
    public var sbom: BuildAttestation?
    public var pull: Bool?
    public var target: String?
    public var shmSize: ByteSize?
    public var extraHosts: [String]?
    public var isolation: String?
    public var privileged: Bool?
    public var secrets: [ServiceFileReference]?
    public var tags: [String]?
    public var ulimits: [String: Ulimit]?
    public var platforms: [String]?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case context, dockerfile
        case dockerfileInline = "dockerfile_inline"
        case entitlements, args, ssh, labels
        case cacheFrom = "cache_from"
        case cacheTo = "cache_to"
        case noCache = "no_cache"
        case noCacheFilter = "no_cache_filter"
        case additionalContexts = "additional_contexts"
        case network, provenance, sbom, pull, target
        case shmSize = "shm_size"
        case extraHosts = "extra_hosts"
        case isolation, privileged, secrets, tags, ulimits, platforms
    }

    public init(from decoder: any Decoder) throws {
        let node = try NodeDecoder.of(decoder)
        if node.node.mappingPairs == nil {
            context = try node.string()
            dockerfile = "Dockerfile"
            return
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        context = try container.decodeIfPresent(String.self, forKey: .context) ?? "."
        dockerfile = try container.decodeIfPresent(String.self, forKey: .dockerfile)
        dockerfileInline = try container.decodeIfPresent(String.self, forKey: .dockerfileInline)
        if dockerfile != nil && dockerfileInline != nil {
            throw node.fail(.conflict, "dockerfile and dockerfile_inline cannot be used together")
        }
        if dockerfile == nil && dockerfileInline == nil { dockerfile = "Dockerfile" }
        entitlements = try container.decodeIfPresent([String].self, forKey: .entitlements)
        args = try node.optionalChild("args")?.stringMap()
        if let ssh = node.optionalChild("ssh") {
            self.ssh = try ssh.listOrDict().map { key, value in value.map { "\(key)=\($0)" } ?? key }
        }
        labels = try node.optionalChild("labels")?.stringMapNoNulls()
        cacheFrom = try container.decodeIfPresent([String].self, forKey: .cacheFrom)
        cacheTo = try container.decodeIfPresent([String].self, forKey: .cacheTo)
        noCache = try container.decodeIfPresent(Bool.self, forKey: .noCache)
        noCacheFilter = try node.optionalChild("no_cache_filter")?.stringOrList()
        if let contexts = node.optionalChild("additional_contexts") {
            additionalContexts = try contexts.stringMapNoNulls()
        }
        network = try container.decodeIfPresent(String.self, forKey: .network)
        provenance = try container.decodeIfPresent(BuildAttestation.self, forKey: .provenance)
        sbom = try container.decodeIfPresent(BuildAttestation.self, forKey: .sbom)
        pull = try container.decodeIfPresent(Bool.self, forKey: .pull)
        target = try container.decodeIfPresent(String.self, forKey: .target)
        shmSize = try node.optionalChild("shm_size")?.byteSize()
        extraHosts = try node.optionalChild("extra_hosts")?.extraHosts()
        isolation = try container.decodeIfPresent(String.self, forKey: .isolation)
        privileged = try container.decodeIfPresent(Bool.self, forKey: .privileged)
        secrets = try container.decodeIfPresent([ServiceFileReference].self, forKey: .secrets)
        tags = try container.decodeIfPresent([String].self, forKey: .tags)
        ulimits = try container.decodeIfPresent([String: Ulimit].self, forKey: .ulimits)
        platforms = try container.decodeIfPresent([String].self, forKey: .platforms)
    }
}

/// `deploy`. Berth acts on `replicas`, `resources` and `restart_policy`; the swarm-only parts
/// are carried through and warned about.
public struct DeployConfig: Sendable, Hashable, Codable {
    public var mode: String?
    public var replicas: Int?
    public var labels: [String: String]?
    public var updateConfig: UpdateConfig?
    public var rollbackConfig: UpdateConfig?
    public var resources: Resources?
    public var restartPolicy: RestartPolicy?
    public var placement: Placement?
    public var endpointMode: String?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case mode, replicas, labels
        case updateConfig = "update_config"
        case rollbackConfig = "rollback_config"
        case resources
        case restartPolicy = "restart_policy"
        case placement
        case endpointMode = "endpoint_mode"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let node = try NodeDecoder.of(decoder)
        mode = try container.decodeIfPresent(String.self, forKey: .mode)
        if let mode, !["replicated", "global", "replicated-job", "global-job"].contains(mode) {
            throw node.optionalChild("mode").map { $0.fail("unknown deploy mode \"\(mode)\"") } ?? node.fail("")
        }
        replicas = try container.decodeIfPresent(Int.self, forKey: .replicas)
        if let replicas, replicas < 0 { throw node.fail("replicas must not be negative") }
        labels = try node.optionalChild("labels")?.stringMapNoNulls()
        updateConfig = try container.decodeIfPresent(UpdateConfig.self, forKey: .updateConfig)
        rollbackConfig = try container.decodeIfPresent(UpdateConfig.self, forKey: .rollbackConfig)
        resources = try container.decodeIfPresent(Resources.self, forKey: .resources)
        restartPolicy = try container.decodeIfPresent(RestartPolicy.self, forKey: .restartPolicy)
        placement = try container.decodeIfPresent(Placement.self, forKey: .placement)
        endpointMode = try container.decodeIfPresent(String.self, forKey: .endpointMode)
    }

    /// `update_config` and `rollback_config` (swarm rollouts; carried, not acted on).
    public struct UpdateConfig: Sendable, Hashable, Codable {
        public var parallelism: Int?
        public var delay: ComposeDuration?
        public var failureAction: String?
        public var monitor: ComposeDuration?
        public var maxFailureRatio: Double?
        public var order: String?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case parallelism, delay
            case failureAction = "failure_action"
            case monitor
            case maxFailureRatio = "max_failure_ratio"
            case order
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let node = try NodeDecoder.of(decoder)
            parallelism = try container.decodeIfPresent(Int.self, forKey: .parallelism)
            delay = try node.optionalChild("delay")?.duration()
            failureAction = try container.decodeIfPresent(String.self, forKey: .failureAction)
            monitor = try node.optionalChild("monitor")?.duration()
            maxFailureRatio = try container.decodeIfPresent(Double.self, forKey: .maxFailureRatio)
            order = try container.decodeIfPresent(String.self, forKey: .order)
            if let order, order != "start-first" && order != "stop-first" {
                throw node.optionalChild("order").map { $0.fail("must be start-first or stop-first, not \"\(order)\"") } ?? node.fail("")
            }
        }
    }

    public struct Resources: Sendable, Hashable, Codable {
        public var limits: Resource?
        public var reservations: Resource?
        enum CodingKeys: String, CodingKey, CaseIterable { case limits, reservations }
    }

    public struct Resource: Sendable, Hashable, Codable {
        public var cpus: Double?
        public var memory: ByteSize?
        public var pids: Int?
        public var devices: [DeviceRequest]?
        public var genericResources: [GenericResource]?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case cpus, memory, pids, devices
            case genericResources = "generic_resources"
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let node = try NodeDecoder.of(decoder)
            cpus = try container.decodeIfPresent(Double.self, forKey: .cpus)
            memory = try node.optionalChild("memory")?.byteSize()
            pids = try container.decodeIfPresent(Int.self, forKey: .pids)
            devices = try container.decodeIfPresent([DeviceRequest].self, forKey: .devices)
            // The specification requires capabilities here (not under `gpus`, which implies "gpu").
            if let devices, let list = node.optionalChild("devices"), let items = list.node.sequenceItems {
                for (index, device) in devices.enumerated() where device.capabilities == nil {
                    throw list.child(items[index], index: index).fail(.missingKey, "missing required key \"capabilities\"")
                }
            }
            genericResources = try container.decodeIfPresent([GenericResource].self, forKey: .genericResources)
        }
    }

    public struct RestartPolicy: Sendable, Hashable, Codable {
        public var condition: String?
        public var delay: ComposeDuration?
        public var maxAttempts: Int?
        public var window: ComposeDuration?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case condition, delay
            case maxAttempts = "max_attempts"
            case window
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let node = try NodeDecoder.of(decoder)
            condition = try container.decodeIfPresent(String.self, forKey: .condition)
            if let condition, !["none", "on-failure", "any"].contains(condition) {
                throw node.optionalChild("condition").map {
                    $0.fail("unknown restart condition \"\(condition)\" (expected none, on-failure or any)")
                } ?? node.fail("")
            }
            delay = try node.optionalChild("delay")?.duration()
            maxAttempts = try container.decodeIfPresent(Int.self, forKey: .maxAttempts)
            window = try node.optionalChild("window")?.duration()
        }
    }
}

extension NodeDecoder {
    private func parsedExtraHosts() throws -> [String] {
        let entry = try string()
        let parsed: [(host: String, address: String)]
        do {
            parsed = try ExtraHost.parseAll(entry)
        } catch {
            throw fail(error.message)
        }
        return parsed.map { "\($0.host)=\($0.address)" }
    }

    /// `extra_hosts` in list (`host:ip`, `host=ip`) or map form, normalized to `host=ip`.
    func extraHosts() throws -> [String] {
        if let pairs = node.mappingPairs {
            var hosts: [String] = []
            for pair in pairs {
                let key = pair.key.scalarText ?? ""
                let value = child(pair.value, key: key)
                if pair.value.sequenceItems != nil {
                    hosts += try value.decode([String].self).map { "\(key)=\($0)" }
                } else {
                    hosts.append("\(key)=\(try value.string())")
                }
            }
            return hosts
        }
        var hosts: [String] = []
        for (index, item) in (node.sequenceItems ?? []).enumerated() {
            // `host=ip1,ip2` lists several addresses for one name.
            hosts += try child(item, index: index).parsedExtraHosts()
        }
        return hosts
    }
}

/// `build.provenance` and `build.sbom`: an attestation turned on or off, or BuildKit's
/// options for it (`mode=max`).
public enum BuildAttestation: Sendable, Hashable, Codable {
    case enabled(Bool)
    case options(String)

    public init(from decoder: any Decoder) throws {
        let node = try NodeDecoder.of(decoder)
        if let flag = try? node.bool() {
            self = .enabled(flag)
            return
        }
        guard node.node.scalarText != nil else { throw node.typeMismatch("a boolean or a string") }
        self = .options(try node.string())
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .enabled(let flag): try container.encode(flag)
        case .options(let text): try container.encode(text)
        }
    }
}

extension DeployConfig {
    /// `deploy.placement` (swarm scheduling; carried, not acted on).
    public struct Placement: Sendable, Hashable, Codable {
        public var constraints: [String]?
        public var preferences: [Preference]?
        public var maxReplicasPerNode: Int?

        public init() {}

        enum CodingKeys: String, CodingKey, CaseIterable {
            case constraints, preferences
            case maxReplicasPerNode = "max_replicas_per_node"
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let node = try NodeDecoder.of(decoder)
            constraints = try container.decodeIfPresent([String].self, forKey: .constraints)
            preferences = try container.decodeIfPresent([Preference].self, forKey: .preferences)
            if let maxNode = node.optionalChild("max_replicas_per_node") {
                let value = try maxNode.int()
                guard value >= 0 else { throw maxNode.fail("must not be negative") }
                maxReplicasPerNode = value
            }
        }

        public struct Preference: Sendable, Hashable, Codable {
            /// A node label to spread tasks over evenly (`node.labels.az`).
            public var spread: String?

            public init(spread: String? = nil) { self.spread = spread }

            enum CodingKeys: String, CodingKey, CaseIterable { case spread }
        }
    }

    /// A `generic_resources` entry (swarm's user-defined resources; carried, not acted on).
    public struct GenericResource: Sendable, Hashable, Codable {
        public var discreteResourceSpec: DiscreteResourceSpec?

        public init(discreteResourceSpec: DiscreteResourceSpec? = nil) {
            self.discreteResourceSpec = discreteResourceSpec
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case discreteResourceSpec = "discrete_resource_spec"
        }

        public struct DiscreteResourceSpec: Sendable, Hashable, Codable {
            public var kind: String?
            public var value: Int?

            public init(kind: String? = nil, value: Int? = nil) {
                self.kind = kind
                self.value = value
            }

            enum CodingKeys: String, CodingKey, CaseIterable { case kind, value }
        }
    }
}
