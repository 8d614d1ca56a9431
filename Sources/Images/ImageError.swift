/// Why an image operation failed. One error type for the module: a stable code, where it happened
/// (an image name, a registry URL, a file, a tar entry), and a message saying what to do.
public struct ImageError: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable, Codable {
        case imageNotFound          // no such image locally or in the registry
        case invalidReference       // a name or transport that does not parse
        case digestMismatch         // content did not hash to what its descriptor says
        case sizeMismatch           // content was longer or shorter than its descriptor says
        case unsupportedMediaType   // a manifest or layer type Berth cannot handle
        case noMatchingPlatform     // an index without an entry for this platform
        case unsafeArchiveEntry     // a tar entry that would land outside the layer
        case corruptArchive         // libarchive could not read the stream
        case registryUnreachable    // connection refused, DNS, TLS
        case unauthorized           // 401/403 from a registry
        case registryError          // any other unexpected registry reply
        case inUse                  // an image a container still uses
        case io                     // a file-system operation failed
        case invalidContent         // JSON that does not decode to the model it should
    }

    public var code: Code
    /// What the error is about: an image name, `host:port`, a path, or a tar entry.
    public var subject: String
    public var message: String

    public init(_ code: Code, _ subject: String, _ message: String) {
        self.code = code
        self.subject = subject
        self.message = message
    }

    /// `subject: message`, or the message alone when it already names the subject.
    public var description: String { message.contains(subject) ? message : "\(subject): \(message)" }
}

extension ImageError {
    static func io(_ path: String, _ operation: String, errno code: Int32) -> ImageError {
        ImageError(.io, path, "\(operation): \(String(cString: strerror(code)))")
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

