/// A compose value (a port, a volume, a duration, an interpolated string…) that does not parse.
///
/// The message names the offending text and says what was expected. It deliberately carries no
/// location: the loader knows the file, line and key path of the value and adds them when it
/// reports the error (`compose.yaml:12:7: services.web.ports[1]: invalid port "80:x" …`).
public struct ComposeValueError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong and what would be accepted, without location.
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
