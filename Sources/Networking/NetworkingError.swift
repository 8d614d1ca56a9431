#if canImport(Glibc)
import Glibc
#endif

/// Why a network operation failed: a stable code, the object (a link, an address, a namespace,
/// a subnet), and a message that reads like `ip`'s and says what to do.
///
/// Netlink failures read `netlink RTM_NEWLINK berth-1a2b3c: File exists`: the request, the
/// object it named, and the kernel's errno (kept in `errno` for callers that branch on it).
public struct NetworkingError: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable, Codable {
        /// The kernel refused a netlink request (`errno` says why).
        case netlink
        /// A socket, namespace or thread call failed (`errno` says why).
        case system
        /// An address, subnet or range that does not parse or does not fit.
        case invalidAddress
        /// No subnet or address is left in the pool or range.
        case exhausted
        /// The address or subnet is taken.
        case conflict
        /// The kernel answered with something this client cannot read.
        case protocolError
    }

    public var code: Code
    public var object: String
    public var message: String
    /// The errno for `.netlink` and `.system`, else 0.
    public var errno: Int32

    public init(_ code: Code, object: String, _ message: String, errno: Int32 = 0) {
        self.code = code
        self.object = object
        self.message = message
        self.errno = errno
    }

    /// Netlink messages already name their object (`netlink RTM_NEWLINK berth0: File exists`).
    public var description: String { code == .netlink ? message : "\(object): \(message)" }

    /// A failed system call, with errno read now.
    static func system(_ call: String, _ object: String, errno value: Int32 = Glibc.errno) -> NetworkingError {
        NetworkingError(.system, object: object, "\(call): \(String(cString: strerror(value)))", errno: value)
    }
}
