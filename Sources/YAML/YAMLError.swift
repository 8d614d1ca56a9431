/// Why a YAML document could not be read. One error type for the module: a stable code,
/// the place, and a message a user can act on.
public struct YAMLError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        case syntax            // libyaml rejected the text
        case invalidUTF8
        case duplicateKey
        case undefinedAlias
        case aliasExpansion    // "billion laughs": too many nodes produced through aliases
        case tooDeep           // nesting deeper than the limit
        case tooLarge          // input larger than the limit
        case invalidMergeKey   // `<<` whose value is not a mapping or a list of mappings
        case io
    }

    public var code: Code
    public var location: SourceLocation
    public var message: String

    public init(_ code: Code, at location: SourceLocation, _ message: String) {
        self.code = code
        self.location = location
        self.message = message
    }

    public var description: String { "\(location): \(message)" }
}
