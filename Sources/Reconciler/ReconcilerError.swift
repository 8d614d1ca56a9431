import ComposeSpec

/// Why planning or applying failed: a stable code, the service (when there is one), the object
/// acted on and the cause, phrased so the user knows what to look at.
public struct ReconcilerError: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable, Codable {
        case invalidProject   // the project cannot be planned (dependency cycle, unknown service)
        case image            // an image could not be made present
        case network
        case volume
        case container        // creating, starting, stopping or removing a container failed
        case skipped          // not attempted because something it needs failed
        case dependency       // a depends_on condition was not met (unhealthy, failed, timed out)
    }

    public var code: Code
    public var service: String?
    /// What was being acted on: `web-1`, `network demo_default`, `image busybox`.
    public var object: String
    public var message: String

    public init(_ code: Code, service: String? = nil, object: String, _ message: String) {
        self.code = code
        self.service = service
        self.object = object
        self.message = message
    }

    public var description: String {
        if let service { return "service \(service): \(object): \(message)" }
        return "\(object): \(message)"
    }
}
