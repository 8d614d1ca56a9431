/// Why an engine could not do what it was asked: a stable code, the object it was acting on
/// (a container, network, volume or image name) and what the user can do about it.
public struct EngineError: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable, Codable {
        case notFound        // no such container, network, volume or image
        case conflict        // the name is taken, or the object is in use
        case invalidState    // the object is in a state that does not allow the action
        case imageUnavailable  // the image could not be found or pulled
        case unsupported     // the engine cannot honour a part of the spec here
        case failed          // anything else: the message carries the cause
    }

    public var code: Code
    /// What the engine was acting on: `container web-1`, `network demo_default`, `image busybox`.
    public var object: String
    public var message: String

    public init(_ code: Code, object: String, _ message: String) {
        self.code = code
        self.object = object
        self.message = message
    }

    public var description: String { "\(object): \(message)" }
}
