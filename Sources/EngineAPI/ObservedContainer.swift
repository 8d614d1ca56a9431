/// A container an engine reports, with what its compose labels say about it.
public struct ObservedContainer: Sendable, Hashable, Codable {
    /// Run state, named as docker names them.
    public enum State: String, Sendable, Hashable, Codable, CaseIterable {
        case created, running, paused, restarting, exited, dead
    }

    public var id: String
    public var name: String
    public var labels: [String: String]
    /// The image id (digest) the container runs.
    public var imageID: String
    /// The image reference it was created from (`ContainerSpec.image`), when the engine knows it.
    public var imageReference: String?
    public var state: State
    /// Exit code of the last run, for `exited` and `dead` containers.
    public var exitCode: Int32?
    /// Creation time, seconds since the Unix epoch.
    public var created: Double
    /// The service's configuration as it was when the container was created: compose key →
    /// canonical JSON of its value (see `ContainerSpec.recordedConfig`). Nil when the engine did not
    /// record it; the planner then says "configuration changed" instead of naming keys.
    public var recordedConfig: [String: String]?
    /// The ports published for the container, with the host port each got.
    public var publishedPorts: [PublishedPort] = []

    /// A published port as bound on the host: docker's `HostIp`, `HostPort`, `PrivatePort`, `Type`.
    public struct PublishedPort: Sendable, Hashable, Codable {
        public var hostIP: String
        public var hostPort: Int
        public var containerPort: Int
        /// `tcp` or `udp`.
        public var proto: String

        public init(hostIP: String, hostPort: Int, containerPort: Int, proto: String) {
            self.hostIP = hostIP
            self.hostPort = hostPort
            self.containerPort = containerPort
            self.proto = proto
        }
    }

    /// Where the container is on each of its networks while it runs (empty when it is stopped,
    /// or with `network_mode` other than bridge): for the embedded DNS, `ps` and `port`.
    public var networks: [NetworkAddress] = []

    /// One network attachment of a running container.
    public struct NetworkAddress: Sendable, Hashable, Codable {
        /// The engine-wide network name (`demo_default`).
        public var network: String
        /// The interface inside the container (`eth0`).
        public var interface: String
        public var ipv4Address: String
        public var macAddress: String
        /// The names it answers to on this network: service, hostname and `aliases`.
        public var aliases: [String]
        /// On networks with `enable_ipv6`.
        public var ipv6Address: String?

        public init(network: String, interface: String, ipv4Address: String, macAddress: String, aliases: [String],
                    ipv6Address: String? = nil) {
            self.network = network
            self.interface = interface
            self.ipv4Address = ipv4Address
            self.macAddress = macAddress
            self.aliases = aliases
            self.ipv6Address = ipv6Address
        }
    }
    /// Restarts by the restart policy since the user last started it.
    public var restartCount: Int = 0
    /// The user stopped or killed it (`stop`, `kill`, `down`) and has not started it since.
    public var stoppedByUser = false
    /// `starting`, `healthy` or `unhealthy` for a container with a health check.
    public var health: String?

    public init(id: String, name: String, labels: [String: String], imageID: String, imageReference: String? = nil,
                state: State, exitCode: Int32? = nil, created: Double = 0, recordedConfig: [String: String]? = nil) {
        self.id = id
        self.name = name
        self.labels = labels
        self.imageID = imageID
        self.imageReference = imageReference
        self.state = state
        self.exitCode = exitCode
        self.created = created
        self.recordedConfig = recordedConfig
    }

    public var project: String? { labels[ResourceLabels.project] }
    public var service: String? { labels[ResourceLabels.service] }
    /// The replica number; nil when the label is missing or not a number.
    public var number: Int? { labels[ResourceLabels.containerNumber].flatMap { Int($0) } }
    public var configHash: String? { labels[ResourceLabels.configHash] }
    /// True for containers made by `run`: `up` and `down` planning leave them alone.
    public var isOneoff: Bool { labels[ResourceLabels.oneoff] == ResourceLabels.boolean(true) }
    public var dependencies: [ResourceLabels.Dependency] {
        labels[ResourceLabels.dependsOn].map(ResourceLabels.dependencies(from:)) ?? []
    }
    /// Running, paused or restarting: a process exists.
    public var isActive: Bool { state == .running || state == .paused || state == .restarting }
}
