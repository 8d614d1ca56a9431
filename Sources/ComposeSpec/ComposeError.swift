import YAML

/// Why a compose project could not be loaded, or a warning about it: the place, the dotted key
/// path and what is wrong. `description` is the one line a user sees:
/// `compose.yaml:12:7: services.web.ports[1]: invalid port "80:x" (expected …)`.
public struct ComposeError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        case yaml              // the file is not valid YAML
        case io                // a file could not be read
        case notFound          // no compose file, a missing env_file or extends file
        case invalidType       // a value of the wrong kind
        case unknownKey        // a key the specification does not define
        case invalidValue      // a value of the right kind that does not parse
        case missingKey        // a required key is absent
        case interpolation     // `${…}` could not be substituted
        case undefinedReference  // depends_on, networks, volumes, secrets… naming nothing
        case cycle             // depends_on / extends / include cycles
        case conflict          // keys that cannot be used together
        case unsupported       // valid compose that Berth does not act on (warnings)
    }

    public var code: Code
    public var location: SourceLocation
    /// Dotted key path, `services.web.ports[1]`; empty for whole-file problems.
    public var path: String
    public var message: String

    public init(_ code: Code, at location: SourceLocation, path: String, _ message: String) {
        self.code = code
        self.location = location
        self.path = path
        self.message = message
    }

    public var description: String {
        path.isEmpty ? "\(location): \(message)" : "\(location): \(path): \(message)"
    }
}
