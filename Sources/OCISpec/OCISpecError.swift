/// Why an OCI value could not be parsed. One error type for the module: a stable code, the text
/// that was rejected, and a message a user can act on.
public struct OCISpecError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable, Codable {
        case invalidDigest
        case unsupportedDigestAlgorithm
        case invalidReference
        case invalidPlatform
    }

    public var code: Code
    /// The input that was rejected, verbatim.
    public var input: String
    public var message: String

    public init(_ code: Code, input: String, _ message: String) {
        self.code = code
        self.input = input
        self.message = message
    }

    public var description: String { "\(message) (\"\(input)\")" }
}
