/// The one error type of the Runtime target: a stable code, the container and stage it concerns,
/// and a message that says what to do.
public struct RuntimeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Stable, matchable error codes; never match on the message.
    public enum Code: String, Sendable, Hashable, Codable {
        case invalidID, invalidBundle, invalidConfig, unknownCapability, unknownSignal
        case alreadyExists, notFound, invalidState, seccomp, idMapping, system
        /// The entrypoint does not exist (exit 127) or cannot be executed (exit 126).
        case entrypointNotFound, entrypointNotExecutable
        case containerSetup
    }

    public var code: Code
    /// The container ID, or the bundle path before there is one.
    public var object: String
    public var message: String

    public init(_ code: Code, _ object: String, _ message: String) {
        self.code = code
        self.object = object
        self.message = message
    }

    public var description: String { "\(object): \(message)" }

    /// The exit status a CLI should use: docker's 127/126 for a bad entrypoint, 1 otherwise.
    public var exitCode: Int32 {
        switch code {
        case .entrypointNotFound: 127
        case .entrypointNotExecutable: 126
        default: 1
        }
    }
}
