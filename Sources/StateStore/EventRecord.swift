import Foundation
import GRDB

/// One lifecycle event of a container (`berth events`): appended by the engine as it creates,
/// starts, stops, kills, pauses, unpauses and destroys containers, and when it finds one that
/// died since it last looked. `sequence` orders events and lets a follower ask for the ones after
/// the last it printed.
public struct EventRecord: Codable, Sendable, Hashable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "event"

    /// Assigned by the store on append; increases with every event.
    public var sequence: Int64?
    public var time: Date
    public var project: String
    public var container: String
    public var name: String
    public var service: String
    /// docker's action words: create, start, stop, kill, die, destroy, pause, unpause.
    public var action: String
    /// Extra facts, as docker's event attributes (`exitCode`, `signal`, `image`).
    public var attributes: [String: String]

    public init(time: Date = Date(), project: String, container: String, name: String, service: String,
                action: String, attributes: [String: String] = [:]) {
        self.time = time
        self.project = project
        self.container = container
        self.name = name
        self.service = service
        self.action = action
        self.attributes = attributes
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        sequence = inserted.rowID
    }
}
