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
