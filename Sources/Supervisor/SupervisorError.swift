/// Why the supervisor could not do something: a stable code, the object (a container, a socket,
/// a policy string) and a message that says what to do.
public struct SupervisorError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable, Codable {
        /// A restart policy or health check that cannot be parsed.
        case invalidPolicy
        /// A system call failed (pidfd_open, poll, socket, …).
        case system
        /// An action the engine was asked to do failed (restart, probe).
        case action
        /// Another supervisor already watches the project.
        case alreadyRunning
        /// A hosted component (DNS servers, port forwarders) could not be brought in line.
        case component
    }

    public var code: Code
    public var object: String
    public var message: String

    public init(_ code: Code, object: String, _ message: String) {
        self.code = code
        self.object = object
        self.message = message
    }

    public var description: String { "\(object): \(message)" }
}
