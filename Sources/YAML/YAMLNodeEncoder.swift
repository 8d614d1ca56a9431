/// Turns any `Encodable` into a `YAMLNode` tree, deterministically: keys in the order they are
/// encoded (declaration order for synthesized `Codable`), dictionary keys sorted, `nil` omitted by
/// `encodeIfPresent` and written as `null` otherwise.
///
/// Booleans and numbers become plain scalars; every Swift `String` becomes a node that resolves
/// to a string, plain when that reads back unchanged and double-quoted otherwise (`"8080"`,
/// `"true"`, `""`). The tree feeds `YAMLEmitter`/`JSONEmitter` for `berth config` and config
/// hashes. All nodes are located at `.synthetic("encoded")`.
public struct YAMLNodeEncoder: Sendable {
    /// Passed through to `Encodable.encode(to:)` implementations.
    public var userInfo: [CodingUserInfoKey: any Sendable] = [:]

    /// An encoder with no user info.
    public init() {}

    /// The value as a node tree; rethrows what the value's `encode(to:)` throws.
    public func encode<T: Encodable>(_ value: T) throws -> YAMLNode {
        let box = EncodingBox()
        try box.encodeValue(value, codingPath: [], userInfo: userInfo)
        return box.node()
    }
}

let encodedLocation = SourceLocation.synthetic("encoded")

/// Marks dictionaries, whose iteration order is not stable, so their keys get sorted.
private protocol UnorderedDictionary {}
extension Dictionary: UnorderedDictionary {}

/// What one value encoded to so far. A reference, because containers handed out by `Encoder`
/// keep writing into it after the call that created them has returned.
private final class EncodingBox {
    enum Content {
        case empty
        case node(YAMLNode)
        case mapping(keys: [String], values: [EncodingBox], positions: [String: Int])
        case sequence([EncodingBox])
    }

    var content = Content.empty
    /// Set for Swift dictionaries: sort keys when building the node.
    var sortKeys = false

    func node() -> YAMLNode {
        switch content {
        case .empty:
            // A value that asked for no container (an empty custom `encode(to:)`).
            return YAMLNode(.mapping([]), location: encodedLocation)
        case .node(let node):
            return node
        case .sequence(let boxes):
            return YAMLNode(.sequence(boxes.map { $0.node() }), location: encodedLocation)
        case .mapping(let keys, let values, _):
            var pairs = zip(keys, values).map { key, value in
                YAMLPair(key: EncodingBox.string(key), value: value.node())
            }
            if sortKeys {
                // Byte order, like Go's sort.Strings: independent of locale and normalization.
                pairs.sort { ($0.key.scalarText ?? "").utf8.lexicographicallyPrecedes(($1.key.scalarText ?? "").utf8) }
            }
            return YAMLNode(.mapping(pairs), location: encodedLocation)
        }
    }

    /// The child box for `key`, replacing what an earlier encode of the same key wrote but
    /// keeping its position.
    func child(forKey key: String) -> EncodingBox {
        let box = EncodingBox()
        if case .mapping(var keys, var values, var positions) = content {
            content = .empty   // keep the arrays uniquely referenced while they change
            if let position = positions[key] {
                values[position] = box
            } else {
                positions[key] = keys.count
                keys.append(key)
                values.append(box)
            }
            content = .mapping(keys: keys, values: values, positions: positions)
        } else {
            content = .mapping(keys: [key], values: [box], positions: [key: 0])
        }
        return box
    }

    func appendChild() -> EncodingBox {
        let box = EncodingBox()
        if case .sequence(var boxes) = content {
            content = .empty
            boxes.append(box)
            content = .sequence(boxes)
        } else {
            content = .sequence([box])
        }
        return box
    }

    func makeMapping() {
        if case .mapping = content { return }
        content = .mapping(keys: [], values: [], positions: [:])
    }

    func makeSequence() {
        if case .sequence = content { return }
        content = .sequence([])
    }

    func encodeValue<T: Encodable>(_ value: T, codingPath: [any CodingKey],
                                   userInfo: [CodingUserInfoKey: any Sendable]) throws {
        if let node = EncodingBox.primitive(value) {
            content = .node(node)
            return
        }
        sortKeys = value is any UnorderedDictionary
        try value.encode(to: NodeEncoder(box: self, codingPath: codingPath, userInfo: userInfo))
    }

    /// Values with a fixed scalar form, so that they never go through a single-value container.
    static func primitive<T>(_ value: T) -> YAMLNode? {
        switch value {
        case let value as String: return string(value)
        case let value as Bool: return plain(value ? "true" : "false")
        case let value as Int: return plain(String(value))
        case let value as Double: return plain(double(value))
        case let value as Float: return plain(float(value))
        default: return nil
        }
    }

    static func plain(_ text: String) -> YAMLNode {
        YAMLNode(.scalar(text, .plain), location: encodedLocation)
    }

    /// Plain when it reads back as the same string, double-quoted otherwise, so that its
    /// `resolved` value is always `.string`.
    static func string(_ text: String) -> YAMLNode {
        let style: ScalarStyle = ScalarQuoting.isPlainSafeString(text) ? .plain : .doubleQuoted
        return YAMLNode(.scalar(text, style), location: encodedLocation)
    }

    static func double(_ value: Double) -> String {
        if value.isNaN { return ".nan" }
        if value.isInfinite { return value < 0 ? "-.inf" : ".inf" }
        return String(value)
    }

    static func float(_ value: Float) -> String {
        if value.isNaN { return ".nan" }
        if value.isInfinite { return value < 0 ? "-.inf" : ".inf" }
        return String(value)
    }
}

private struct NodeEncoder: Encoder {
    let box: EncodingBox
    let codingPath: [any CodingKey]
    let sendableUserInfo: [CodingUserInfoKey: any Sendable]

    init(box: EncodingBox, codingPath: [any CodingKey], userInfo: [CodingUserInfoKey: any Sendable]) {
        self.box = box
        self.codingPath = codingPath
        self.sendableUserInfo = userInfo
    }

    var userInfo: [CodingUserInfoKey: Any] { sendableUserInfo }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        box.makeMapping()
        return KeyedEncodingContainer(KeyedContainer<Key>(box: box, codingPath: codingPath, encoder: self))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        box.makeSequence()
        return UnkeyedContainer(box: box, codingPath: codingPath, encoder: self)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleValueContainer(box: box, codingPath: codingPath, encoder: self)
    }
}

/// An integer key for unkeyed containers' coding paths.
private struct IndexKey: CodingKey {
    var intValue: Int?
    var stringValue: String { String(intValue ?? 0) }
    init(_ index: Int) { intValue = index }
    init?(stringValue: String) { return nil }
    init?(intValue: Int) { self.intValue = intValue }
}

private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let box: EncodingBox
    let codingPath: [any CodingKey]
    let encoder: NodeEncoder

    mutating func encodeNil(forKey key: Key) throws {
        box.child(forKey: key.stringValue).content = .node(EncodingBox.plain("null"))
    }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try box.child(forKey: key.stringValue)
            .encodeValue(value, codingPath: codingPath + [key], userInfo: encoder.sendableUserInfo)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type,
                                                        forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        let child = box.child(forKey: key.stringValue)
        child.makeMapping()
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(box: child, codingPath: codingPath + [key],
                                                                encoder: encoder))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let child = box.child(forKey: key.stringValue)
        child.makeSequence()
        return UnkeyedContainer(box: child, codingPath: codingPath + [key], encoder: encoder)
    }

    mutating func superEncoder() -> any Encoder {
        superEncoder(forKey: "super")
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        superEncoder(forKey: key.stringValue)
    }

    private func superEncoder(forKey key: String) -> any Encoder {
        NodeEncoder(box: box.child(forKey: key), codingPath: codingPath, userInfo: encoder.sendableUserInfo)
    }
}

private struct UnkeyedContainer: UnkeyedEncodingContainer {
    let box: EncodingBox
    let codingPath: [any CodingKey]
    let encoder: NodeEncoder

    var count: Int {
        if case .sequence(let boxes) = box.content { return boxes.count }
        return 0
    }

    private var nextPath: [any CodingKey] { codingPath + [IndexKey(count)] }

    mutating func encodeNil() throws {
        box.appendChild().content = .node(EncodingBox.plain("null"))
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        let path = nextPath
        try box.appendChild().encodeValue(value, codingPath: path, userInfo: encoder.sendableUserInfo)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type)
        -> KeyedEncodingContainer<NestedKey> {
        let path = nextPath
        let child = box.appendChild()
        child.makeMapping()
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(box: child, codingPath: path, encoder: encoder))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let path = nextPath
        let child = box.appendChild()
        child.makeSequence()
        return UnkeyedContainer(box: child, codingPath: path, encoder: encoder)
    }

    mutating func superEncoder() -> any Encoder {
        let path = nextPath
        return NodeEncoder(box: box.appendChild(), codingPath: path, userInfo: encoder.sendableUserInfo)
    }
}

private struct SingleValueContainer: SingleValueEncodingContainer {
    let box: EncodingBox
    let codingPath: [any CodingKey]
    let encoder: NodeEncoder

    mutating func encodeNil() throws { box.content = .node(EncodingBox.plain("null")) }
    mutating func encode(_ value: Bool) throws { box.content = .node(EncodingBox.plain(value ? "true" : "false")) }
    mutating func encode(_ value: String) throws { box.content = .node(EncodingBox.string(value)) }
    mutating func encode(_ value: Double) throws { box.content = .node(EncodingBox.plain(EncodingBox.double(value))) }
    mutating func encode(_ value: Float) throws { box.content = .node(EncodingBox.plain(EncodingBox.float(value))) }
    mutating func encode(_ value: Int) throws { box.content = .node(EncodingBox.plain(String(value))) }
    mutating func encode(_ value: Int8) throws { box.content = .node(EncodingBox.plain(String(value))) }
    mutating func encode(_ value: Int16) throws { box.content = .node(EncodingBox.plain(String(value))) }
    mutating func encode(_ value: Int32) throws { box.content = .node(EncodingBox.plain(String(value))) }
    mutating func encode(_ value: Int64) throws { box.content = .node(EncodingBox.plain(String(value))) }
    mutating func encode(_ value: UInt) throws { box.content = .node(EncodingBox.plain(String(value))) }
    mutating func encode(_ value: UInt8) throws { box.content = .node(EncodingBox.plain(String(value))) }
    mutating func encode(_ value: UInt16) throws { box.content = .node(EncodingBox.plain(String(value))) }
    mutating func encode(_ value: UInt32) throws { box.content = .node(EncodingBox.plain(String(value))) }
    mutating func encode(_ value: UInt64) throws { box.content = .node(EncodingBox.plain(String(value))) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try box.encodeValue(value, codingPath: codingPath, userInfo: encoder.sendableUserInfo)
    }
}
