/// Why the state store or a project lock failed: a stable code, the object (a database file, a
/// lock file, a container id) and what to do.
public struct StateError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        case open           // the database cannot be opened or migrated
        case query          // a read or write failed
        case lockTimeout    // another berth command holds the project
        case lockFile       // the lock file cannot be created or locked
    }

    public var code: Code
    public var object: String
    public var message: String

    public init(_ code: Code, _ object: String, _ message: String) {
        self.code = code
        self.object = object
        self.message = message
    }

    public var description: String { "\(object): \(message)" }
}
