/// A position in a source file, 1-based, as editors show it.
public struct SourceLocation: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The file as the user named it (or `-` for standard input).
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// A location for values that came from nowhere in a file (defaults, the command line).
    public static func synthetic(_ origin: String) -> SourceLocation {
        SourceLocation(file: origin, line: 0, column: 0)
    }

    /// `file:line:column`, or just the origin for synthetic locations.
    public var description: String {
        line > 0 ? "\(file):\(line):\(column)" : file
    }
}

/// How a scalar was written. Quoted scalars are always strings; only plain scalars are resolved
/// to null, booleans and numbers (YAML 1.2 core schema).
public enum ScalarStyle: Sendable, Hashable {
    case plain, singleQuoted, doubleQuoted, literal, folded
}

/// A scalar's value after core-schema resolution.
public enum ResolvedScalar: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
}

/// One key/value pair of a mapping, in source order.
public struct YAMLPair: Sendable, Hashable {
    public var key: YAMLNode
    public var value: YAMLNode

    public init(key: YAMLNode, value: YAMLNode) {
        self.key = key
        self.value = value
    }
}

/// A YAML node with the place it was written. Anchors, aliases and merge keys (`<<`) are
/// already resolved by the parser; the tags `!reset` and `!override` are kept on the node.
public struct YAMLNode: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case scalar(String, ScalarStyle)
        case sequence([YAMLNode])
        case mapping([YAMLPair])
    }

    public var kind: Kind
    /// The explicit tag, without the leading `!` for local tags (`reset`, `override`), or the
    /// full tag for others (`tag:yaml.org,2002:str`); nil when none was written.
    public var tag: String?
    public var location: SourceLocation

    public init(_ kind: Kind, tag: String? = nil, location: SourceLocation) {
        self.kind = kind
        self.tag = tag
        self.location = location
    }

    public static func scalar(_ value: String, style: ScalarStyle = .plain, tag: String? = nil,
                              at location: SourceLocation) -> YAMLNode {
        YAMLNode(.scalar(value, style), tag: tag, location: location)
    }

    public static func sequence(_ items: [YAMLNode], tag: String? = nil, at location: SourceLocation) -> YAMLNode {
        YAMLNode(.sequence(items), tag: tag, location: location)
    }

    public static func mapping(_ pairs: [YAMLPair], tag: String? = nil, at location: SourceLocation) -> YAMLNode {
        YAMLNode(.mapping(pairs), tag: tag, location: location)
    }
}

extension YAMLNode {
    /// The scalar's text, or nil for collections.
    public var scalarText: String? {
        if case .scalar(let text, _) = kind { return text }
        return nil
    }

    public var sequenceItems: [YAMLNode]? {
        if case .sequence(let items) = kind { return items }
        return nil
    }

    public var mappingPairs: [YAMLPair]? {
        if case .mapping(let pairs) = kind { return pairs }
        return nil
    }

    /// The value of the first pair whose key is the scalar `key`.
    public subscript(key: String) -> YAMLNode? {
        mappingPairs?.first(where: { $0.key.scalarText == key })?.value
    }

    /// True for `!reset` (compose: drop the value inherited from earlier files).
    public var isReset: Bool { tag == "reset" }
    /// True for `!override` (compose: replace instead of merging).
    public var isOverride: Bool { tag == "override" }

    /// Core-schema resolution of a scalar: plain scalars may be null, bool, int or double;
    /// quoted and block scalars, and scalars tagged `!!str`, are strings. Nil for collections.
    public var resolved: ResolvedScalar? {
        guard case .scalar(let text, let style) = kind else { return nil }
        if style != .plain || tag == "tag:yaml.org,2002:str" { return .string(text) }
        return ResolvedScalar.resolvePlain(text)
    }

    /// A short name of the node's type for error messages ("a mapping", "a string", …).
    public var kindDescription: String {
        switch kind {
        case .mapping: return "a mapping"
        case .sequence: return "a sequence"
        case .scalar:
            switch resolved {
            case .null: return "null"
            case .bool: return "a boolean"
            case .int: return "an integer"
            case .double: return "a number"
            default: return "a string"
            }
        }
    }
}

extension ResolvedScalar {
    /// YAML 1.2 core schema for plain scalars.
    public static func resolvePlain(_ text: String) -> ResolvedScalar {
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .double(.infinity)
        case "-.inf", "-.Inf", "-.INF": return .double(-.infinity)
        case ".nan", ".NaN", ".NAN": return .double(.nan)
        default: break
        }
        guard let first = text.utf8.first,
              first == UInt8(ascii: "-") || first == UInt8(ascii: "+") || first == UInt8(ascii: ".")
                || (first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9")) else {
            return .string(text)
        }
        if text.hasPrefix("0x"), let value = Int(text.dropFirst(2), radix: 16) { return .int(value) }
        if text.hasPrefix("0o"), let value = Int(text.dropFirst(2), radix: 8) { return .int(value) }
        if isDecimalInteger(text), let value = Int(text) { return .int(value) }
        if isFloat(text), let value = Double(text) { return .double(value) }
        return .string(text)
    }

    private static func isDecimalInteger(_ text: String) -> Bool {
        var digits = Substring(text)
        if digits.first == "-" || digits.first == "+" { digits = digits.dropFirst() }
        return !digits.isEmpty && digits.utf8.allSatisfy { $0 >= 48 && $0 <= 57 }
    }

    // [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
    private static func isFloat(_ text: String) -> Bool {
        var bytes = Array(text.utf8)[...]
        func digits() -> Int {
            var count = 0
            while let byte = bytes.first, byte >= 48, byte <= 57 { bytes = bytes.dropFirst(); count += 1 }
            return count
        }
        if bytes.first == UInt8(ascii: "-") || bytes.first == UInt8(ascii: "+") { bytes = bytes.dropFirst() }
        let whole = digits()
        var fraction = 0
        if bytes.first == UInt8(ascii: ".") { bytes = bytes.dropFirst(); fraction = digits() }
        else if whole == 0 { return false }
        if whole == 0 && fraction == 0 { return false }
        if bytes.first == UInt8(ascii: "e") || bytes.first == UInt8(ascii: "E") {
            bytes = bytes.dropFirst()
            if bytes.first == UInt8(ascii: "-") || bytes.first == UInt8(ascii: "+") { bytes = bytes.dropFirst() }
            if digits() == 0 { return false }
        }
        return bytes.isEmpty
    }
}
