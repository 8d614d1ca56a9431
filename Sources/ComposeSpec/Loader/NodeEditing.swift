import YAML

// Small edits on node trees, used by the loader phases that work before typed decoding
// (interpolation, include, extends, merge, profiles, path resolution).
extension YAMLNode {
    /// The mapping with `key` set to `value` (replacing the first pair with that key, or appended).
    func setting(_ key: String, to value: YAMLNode) -> YAMLNode {
        var pairs = mappingPairs ?? []
        if let index = pairs.firstIndex(where: { $0.key.scalarText == key }) {
            pairs[index].value = value
        } else {
            pairs.append(YAMLPair(key: .scalar(key, at: value.location), value: value))
        }
        return YAMLNode(.mapping(pairs), tag: tag, location: location)
    }

    func removing(_ key: String) -> YAMLNode {
        guard let pairs = mappingPairs else { return self }
        return YAMLNode(.mapping(pairs.filter { $0.key.scalarText != key }), tag: tag, location: location)
    }

    /// The mapping with each value transformed.
    func mapValues(_ transform: (String, YAMLNode) throws -> YAMLNode) rethrows -> YAMLNode {
        guard let pairs = mappingPairs else { return self }
        let mapped = try pairs.map { pair in
            YAMLPair(key: pair.key, value: try transform(pair.key.scalarText ?? "", pair.value))
        }
        return YAMLNode(.mapping(mapped), tag: tag, location: location)
    }

    var isNullScalar: Bool { resolved == .null }

    /// Structural equality ignoring where the nodes were written and how scalars were quoted.
    func sameContent(as other: YAMLNode) -> Bool {
        switch (kind, other.kind) {
        case (.scalar(let a, _), .scalar(let b, _)): return a == b
        case (.sequence(let a), .sequence(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.sameContent(as: $1) }
        case (.mapping(let a), .mapping(let b)):
            return a.count == b.count && zip(a, b).allSatisfy {
                $0.key.scalarText == $1.key.scalarText && $0.value.sameContent(as: $1.value)
            }
        default: return false
        }
    }

    static func emptyMapping(at location: SourceLocation) -> YAMLNode { .mapping([], at: location) }
}

/// Throws a located error when `node` is not a mapping (null counts as an empty mapping).
func requireMapping(_ node: YAMLNode, path: ComposePath) throws(ComposeError) -> [YAMLPair] {
    if let pairs = node.mappingPairs { return pairs }
    if node.isNullScalar { return [] }
    throw ComposeError(.invalidType, at: node.location, path: path.description,
                       "must be a mapping, not \(node.kindDescription)")
}
