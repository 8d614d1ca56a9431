import Foundation
import GRDB

/// A container Berth created, as the state store remembers it. Labels and the recorded
/// configuration are stored as JSON; the planner compares `configHash` and `recordedConfig`.
public struct ContainerRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "container"

    public enum State: String, Codable, Sendable, Hashable, CaseIterable {
        case created, running, paused, restarting, exited, dead
    }

    public var id: String
    public var name: String
    public var project: String
    public var service: String
    public var number: Int
    public var oneoff: Bool
    public var image: String
    public var imageID: String
    public var configHash: String
    public var labels: [String: String]
    public var recordedConfig: [String: String]
    public var state: State
    public var pid: Int?
    public var exitCode: Int?
    public var restartCount: Int
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    /// The container's published ports as the forwarder bound them (the host port it got when
    /// compose asked for a random one): what `berth port` prints.
    public var publishedPorts: [PublishedPortRecord] = []
    /// The container's network attachments while it runs (empty when stopped: addresses are
    /// given at each start, as docker does, and its leases keep them stable).
    public var networks: [AttachmentRecord] = []
    /// The ports the compose file publishes (`ContainerSpec.ports`), for the forwarders the
    /// project's supervisor runs; `publishedPorts` is what they bound.
    public var portBindings: [PortBindingRecord] = []
    /// The user stopped or killed the container (`stop`, `kill`, `down`): no restart policy brings
    /// it back until the user starts it again. Durable, so it holds across a reboot.
    public var stoppedByUser: Bool
    /// `starting`, `healthy` or `unhealthy`; nil for a container without a health check.
    public var health: String?
    /// The health check's consecutive failures and its last results, as the supervisor keeps them.
    public var healthFailingStreak: Int
    public var healthLog: [HealthLogEntry]
    /// How the container is supervised (restart policy, health check), as JSON the engine writes
    /// at create time and reads back; opaque to the store.
    public var supervision: String?
    /// The back-off the supervisor waits before its next restart by policy after a short run
    /// (docker's 100 ms doubling to a minute), so a new supervisor continues it instead of
    /// starting again from 100 ms; nil before the first restart.
    public var restartDelay: Double? = nil

    public init(id: String, name: String, project: String, service: String, number: Int, oneoff: Bool = false,
                image: String, imageID: String, configHash: String, labels: [String: String] = [:],
                recordedConfig: [String: String] = [:], state: State = .created, createdAt: Date = Date()) {
        self.id = id
        self.name = name
        self.project = project
        self.service = service
        self.number = number
        self.oneoff = oneoff
        self.image = image
        self.imageID = imageID
        self.configHash = configHash
        self.labels = labels
        self.recordedConfig = recordedConfig
        self.state = state
        restartCount = 0
        self.createdAt = createdAt
        stoppedByUser = false
        healthFailingStreak = 0
        healthLog = []
    }
}

/// One health probe's result, as docker's `State.Health.Log` shows it.
public struct HealthLogEntry: Codable, Sendable, Hashable {
    public var start: Date
    public var end: Date
    public var exitCode: Int
    public var output: String

    public init(start: Date, end: Date, exitCode: Int, output: String) {
        self.start = start
        self.end = end
        self.exitCode = exitCode
        self.output = output
    }
}

/// A network Berth created (or adopted, when external).
public struct NetworkRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "network"

    public var name: String
    public var project: String
    public var driver: String
    public var subnet: String?
    public var gateway: String?
    public var isInternal: Bool
    public var isExternal: Bool
    public var labels: [String: String]
    public var createdAt: Date
    /// The bridge that carries the network (`berth-1a2b3c4d5`), nil for records made before
    /// networks had links.
    public var bridge: String? = nil
    /// `ipam.config[].ip_range`: where automatic addresses come from.
    public var ipRange: String? = nil
    /// With `enable_ipv6`: the IPv6 subnet and gateway.
    public var subnet6: String? = nil
    public var gateway6: String? = nil
    /// The IPv4 `ipam.config` entries after the first (whose subnet, gateway and range are the
    /// fields above), in the file's order: the bridge carries every gateway, and addresses come
    /// from the pools in order.
    public var morePools: [NetworkPool] = []

    public init(name: String, project: String, driver: String = "bridge", subnet: String? = nil, gateway: String? = nil,
                isInternal: Bool = false, isExternal: Bool = false, labels: [String: String] = [:],
                createdAt: Date = Date()) {
        self.name = name
        self.project = project
        self.driver = driver
        self.subnet = subnet
        self.gateway = gateway
        self.isInternal = isInternal
        self.isExternal = isExternal
        self.labels = labels
        self.createdAt = createdAt
    }
}

/// One more IPv4 pool of a network (`NetworkRecord.morePools`).
public struct NetworkPool: Codable, Sendable, Hashable {
    public var subnet: String
    public var gateway: String
    public var ipRange: String?

    public init(subnet: String, gateway: String, ipRange: String? = nil) {
        self.subnet = subnet
        self.gateway = gateway
        self.ipRange = ipRange
    }
}

/// A named volume and where its data lives.
public struct VolumeRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "volume"

    public var name: String
    public var project: String
    public var driver: String
    public var mountpoint: String
    public var isExternal: Bool
    public var labels: [String: String]
    public var createdAt: Date

    public init(name: String, project: String, driver: String = "local", mountpoint: String, isExternal: Bool = false,
                labels: [String: String] = [:], createdAt: Date = Date()) {
        self.name = name
        self.project = project
        self.driver = driver
        self.mountpoint = mountpoint
        self.isExternal = isExternal
        self.labels = labels
        self.createdAt = createdAt
    }
}

/// One line of `berth ls`: a project and how many of its containers are in each state.
public struct ProjectSummary: Sendable, Hashable {
    public var name: String
    public var states: [ContainerRecord.State: Int]
    public var workingDirectory: String?
    public var configFiles: String?

    public init(name: String, states: [ContainerRecord.State: Int], workingDirectory: String? = nil, configFiles: String? = nil) {
        self.name = name
        self.states = states
        self.workingDirectory = workingDirectory
        self.configFiles = configFiles
    }
}

/// One published port of a container: host address and port → container port and protocol.
public struct PublishedPortRecord: Codable, Sendable, Hashable {
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

/// A port the compose file publishes, as written: host address and port (or range) optional.
public struct PortBindingRecord: Codable, Sendable, Hashable {
    public var hostIP: String?
    /// A port, a range `8000-8010`, or nil for any free port.
    public var hostPort: String?
    public var containerPort: Int
    /// `tcp` or `udp`.
    public var proto: String

    public init(hostIP: String?, hostPort: String?, containerPort: Int, proto: String) {
        self.hostIP = hostIP
        self.hostPort = hostPort
        self.containerPort = containerPort
        self.proto = proto
    }
}
