import YAML

/// A `Decoder` over a `YAMLNode` tree that keeps compose's rules and the place of every value:
/// - a keyed container whose `CodingKeys` are `CaseIterable` rejects keys it does not know
///   (extension keys `x-…` excepted), naming the key where it was written;
/// - scalars convert as compose does after interpolation (`"3"` is a valid integer, `"true"` a
///   valid boolean), and a null value reads as absent;
/// - every error is a `ComposeError` with file, line, column and the dotted key path.
///
/// Types with short and long syntaxes implement `init(from:)` by hand and reach the node through
/// `NodeDecoder.of(_:)`.
final class NodeDecoder: Decoder {
    let node: YAMLNode
    let path: ComposePath

    init(node: YAMLNode, path: ComposePath) {
        self.node = node
        self.path = path
    }

    /// Decodes a whole value, turning Swift's own decoding errors into located compose errors.
    static func decode<T: Decodable>(_ type: T.Type, from node: YAMLNode, path: ComposePath) throws(ComposeError) -> T {
        do {
            return try T(from: NodeDecoder(node: node, path: path))
        } catch let error as ComposeError {
            throw error
        } catch {
            throw ComposeError(.invalidValue, at: node.location, path: path.description, "\(error)")
        }
    }

    /// The node decoder behind `decoder`; every compose type is decoded by one.
    static func of(_ decoder: any Decoder) throws -> NodeDecoder {
        guard let nodeDecoder = decoder as? NodeDecoder else {
            throw ComposeError(.invalidValue, at: .synthetic("decoder"), path: "",
                               "compose values are decoded from YAML nodes only")
        }
        return nodeDecoder
    }

    var codingPath: [any CodingKey] {
        path.components.map { component in
            switch component {
            case .key(let key): return AnyKey(key)
            case .index(let index): return AnyKey(index: index)
            }
        }
    }

    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(try NodeKeyedContainer<Key>(decoder: self))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try NodeUnkeyedContainer(decoder: self)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        NodeSingleValueContainer(decoder: self)
    }

    // MARK: helpers for hand-written init(from:)

    func fail(_ code: ComposeError.Code, _ message: String) -> ComposeError {
        ComposeError(code, at: node.location, path: path.description, message)
    }

    func fail(_ message: String) -> ComposeError { fail(.invalidValue, message) }

    func typeMismatch(_ expected: String) -> ComposeError {
        fail(.invalidType, "must be \(expected), not \(node.kindDescription)")
    }

    func child(_ node: YAMLNode, key: String) -> NodeDecoder {
        NodeDecoder(node: node, path: path.appending(key))
    }

    func child(_ node: YAMLNode, index: Int) -> NodeDecoder {
        NodeDecoder(node: node, path: path.appending(index: index))
    }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try T(from: self)
    }

    var isNull: Bool { node.resolved == .null }

    /// The scalar's text; numbers and booleans are accepted where compose expects a string.
    func string() throws -> String {
        guard let text = node.scalarText, node.resolved != .null else { throw typeMismatch("a string") }
        return text
    }

    func int() throws -> Int {
        switch node.resolved {
        case .int(let value): return value
        case .string(let text):
            if let value = Int(text.trimmingSpaces) { return value }
        case .double(let value):
            if value.rounded() == value, let exact = Int(exactly: value) { return exact }
        default: break
        }
        throw typeMismatch("an integer")
    }

    func double() throws -> Double {
        switch node.resolved {
        case .int(let value): return Double(value)
        case .double(let value): return value
        case .string(let text):
            if let value = Double(text.trimmingSpaces) { return value }
        default: break
        }
        throw typeMismatch("a number")
    }

    func bool() throws -> Bool {
        switch node.resolved {
        case .bool(let value): return value
        case .string(let text):
            // compose-go converts interpolated strings with these spellings (YAML 1.1 booleans).
            switch text.lowercased() {
            case "true", "yes", "y", "on": return true
            case "false", "no", "n", "off": return false
            default: break
            }
        default: break
        }
        throw typeMismatch("a boolean")
    }

    /// A string or a list of strings, as `dns`, `tmpfs`, `env_file` and others allow.
    func stringOrList() throws -> [String] {
        if node.sequenceItems != nil { return try decode([String].self) }
        return [try string()]
    }

    /// A list of `KEY=VALUE` strings or a mapping, as `environment`, `labels`, `sysctls` allow.
    /// List entries without `=` have a nil value. Mapping values may be strings, numbers,
    /// booleans or null.
    func listOrDict(separator: Character = "=") throws -> [(key: String, value: String?)] {
        if let pairs = node.mappingPairs {
            return try pairs.map { pair in
                guard let key = pair.key.scalarText else {
                    throw ComposeError(.invalidType, at: pair.key.location, path: path.description,
                                       "keys must be strings")
                }
                let value = NodeDecoder(node: pair.value, path: path.appending(key))
                if pair.value.mappingPairs != nil || pair.value.sequenceItems != nil {
                    throw value.typeMismatch("a string, number, boolean or null")
                }
                return (key, value.isNull ? nil : try value.string())
            }
        }
        if let items = node.sequenceItems {
            return try items.enumerated().map { index, item in
                let entry = try child(item, index: index).string()
                if let cut = entry.firstIndex(of: separator) {
                    return (String(entry[..<cut]), String(entry[entry.index(after: cut)...]))
                }
                return (entry, nil)
            }
        }
        if isNull { return [] }
        throw typeMismatch("a mapping or a list")
    }
}

/// A coding key made from any string or index.
struct AnyKey: CodingKey, Hashable {
    var stringValue: String
    var intValue: Int?

    init(_ string: String) { stringValue = string }
    init(index: Int) { stringValue = "\(index)"; intValue = index }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { self.init(index: intValue) }
}

extension String {
    var trimmingSpaces: Substring {
        var text = Substring(self)
        while text.first == " " || text.first == "\t" { text = text.dropFirst() }
        while text.last == " " || text.last == "\t" { text = text.dropLast() }
        return text
    }
}

// MARK: - containers

private struct NodeKeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: NodeDecoder
    let pairs: [YAMLPair]
    /// The keys' texts, scanned for small mappings without copying pairs.
    let keys: [String]
    /// Built only for large mappings (the `services` of a big project); small ones are scanned.
    let index: [String: Int]?

    init(decoder: NodeDecoder) throws {
        self.decoder = decoder
        if decoder.isNull {
            pairs = []
        } else if let pairs = decoder.node.mappingPairs {
            self.pairs = pairs
        } else {
            throw decoder.typeMismatch("a mapping")
        }
        var keys: [String] = []
        keys.reserveCapacity(pairs.count)
        for pair in pairs {
            guard let key = pair.key.scalarText else {
                throw ComposeError(.invalidType, at: pair.key.location, path: decoder.path.description,
                                   "keys must be strings, not \(pair.key.kindDescription)")
            }
            keys.append(key)
        }
        self.keys = keys
        if let known = Key.self as? any (CodingKey & CaseIterable).Type {
            let names = KeyNames.of(known)
            for (offset, key) in keys.enumerated() where !names.contains(key) && !key.hasPrefix("x-") {
                throw ComposeError(.unknownKey, at: pairs[offset].key.location, path: decoder.path.description,
                                   "unknown key \"\(key)\"\(KeyNames.suggestion(for: key, among: names))")
            }
        }
        if pairs.count > 12 {
            var index: [String: Int] = [:]
            index.reserveCapacity(pairs.count)
            for (offset, key) in keys.enumerated() { index[key] = offset }
            self.index = index
        } else {
            index = nil
        }
    }

    var codingPath: [any CodingKey] { decoder.codingPath }

    var allKeys: [Key] {
        keys.compactMap { Key(stringValue: $0) }
    }

    private func value(for key: Key) -> YAMLNode? {
        let name = key.stringValue
        if let index { return index[name].map { pairs[$0].value } }
        return keys.firstIndex(of: name).map { pairs[$0].value }
    }

    private func child(_ key: Key) throws -> NodeDecoder {
        guard let node = value(for: key) else {
            throw ComposeError(.missingKey, at: decoder.node.location, path: decoder.path.description,
                               "missing required key \"\(key.stringValue)\"")
        }
        return decoder.child(node, key: key.stringValue)
    }

    func contains(_ key: Key) -> Bool { value(for: key) != nil }

    func decodeNil(forKey key: Key) throws -> Bool {
        guard let node = value(for: key) else { return true }
        return node.resolved == .null
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try child(key).bool() }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try child(key).string() }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try child(key).double() }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try child(key).int() }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { Int64(try child(key).int()) }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try T(from: child(key)) }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type,
                                               forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try child(key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try child(key).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { decoder }
    func superDecoder(forKey key: Key) throws -> any Decoder { try child(key) }
}

private struct NodeUnkeyedContainer: UnkeyedDecodingContainer {
    let decoder: NodeDecoder
    let items: [YAMLNode]
    var currentIndex = 0

    init(decoder: NodeDecoder) throws {
        self.decoder = decoder
        if decoder.isNull {
            items = []
        } else if let items = decoder.node.sequenceItems {
            self.items = items
        } else {
            throw decoder.typeMismatch("a list")
        }
    }

    var codingPath: [any CodingKey] { decoder.codingPath }
    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    private mutating func next() throws -> NodeDecoder {
        guard currentIndex < items.count else {
            throw decoder.fail("list ended early")
        }
        defer { currentIndex += 1 }
        return decoder.child(items[currentIndex], index: currentIndex)
    }

    mutating func decodeNil() throws -> Bool {
        guard currentIndex < items.count, items[currentIndex].resolved == .null else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try next().bool() }
    mutating func decode(_ type: String.Type) throws -> String { try next().string() }
    mutating func decode(_ type: Double.Type) throws -> Double { try next().double() }
    mutating func decode(_ type: Int.Type) throws -> Int { try next().int() }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try T(from: next()) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try next().container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try next().unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder { try next() }
}

private struct NodeSingleValueContainer: SingleValueDecodingContainer {
    let decoder: NodeDecoder
    var codingPath: [any CodingKey] { decoder.codingPath }

    func decodeNil() -> Bool { decoder.isNull }
    func decode(_ type: Bool.Type) throws -> Bool { try decoder.bool() }
    func decode(_ type: String.Type) throws -> String { try decoder.string() }
    func decode(_ type: Double.Type) throws -> Double { try decoder.double() }
    func decode(_ type: Int.Type) throws -> Int { try decoder.int() }
    func decode(_ type: Int64.Type) throws -> Int64 { Int64(try decoder.int()) }
    func decode(_ type: UInt32.Type) throws -> UInt32 {
        let value = try decoder.int()
        guard let exact = UInt32(exactly: value) else { throw decoder.fail("\(value) is out of range") }
        return exact
    }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try T(from: decoder) }
}

extension CaseIterable where Self: CodingKey {
    static var allCaseNames: [String] { allCases.map(\.stringValue) }
}

extension String {
    /// Levenshtein distance, for "did you mean" hints on unknown keys.
    func editDistance(to other: String) -> Int {
        let a = Array(utf8), b = Array(other.utf8)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
