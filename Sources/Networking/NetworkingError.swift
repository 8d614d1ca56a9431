#if canImport(Glibc)
import Glibc
#endif
import SystemSupport

/// Why a network service failed: a stable code, the object (an address, a port, a message) and
/// what to do. The system call underneath, when there is one, is kept in `cause`.
public struct NetworkingError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable, Codable {
        /// A text that should be an IP address, a port or a range is not one.
        case invalidAddress
        /// A DNS message is malformed or too long.
        case malformedMessage
        /// The host port is taken by another socket.
        case portInUse
        /// The host port needs privileges the process does not have.
        case privilegedPort
        /// A socket, epoll or thread call failed.
        case system
    }

    public var code: Code
    public var object: String
    public var message: String
    public var cause: SystemError?

    public init(_ code: Code, _ object: String, _ message: String, cause: SystemError? = nil) {
        self.code = code
        self.object = object
        self.message = message
        self.cause = cause
    }

    init(_ cause: SystemError) {
        self.init(.system, cause.object, cause.description, cause: cause)
    }

    public var description: String { "\(object): \(message)" }
}
