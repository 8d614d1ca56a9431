import YAML

/// Substitutes `${…}` in every scalar value of a document (never in keys), keeping each value's
/// location so later errors still point at the file. Interpolated plain scalars stay plain, so
/// `replicas: ${N}` becomes an integer as compose casts it.
struct NodeInterpolation {
    let interpolator: Interpolator

    func apply(_ node: YAMLNode, path: ComposePath) throws(ComposeError) -> YAMLNode {
        switch node.kind {
        case .scalar(let text, let style):
            guard text.utf8.contains(UInt8(ascii: "$")) else { return node }
            do {
                let value = try interpolator.interpolate(text)
                return YAMLNode(.scalar(value, style), tag: node.tag, location: node.location)
            } catch {
                throw ComposeError(.interpolation, at: node.location, path: path.description, error.message)
            }
        case .sequence(let items):
            var result: [YAMLNode] = []
            result.reserveCapacity(items.count)
            for (index, item) in items.enumerated() {
                result.append(try apply(item, path: path.appending(index: index)))
            }
            return YAMLNode(.sequence(result), tag: node.tag, location: node.location)
        case .mapping(let pairs):
            var result: [YAMLPair] = []
            result.reserveCapacity(pairs.count)
            for pair in pairs {
                let key = pair.key.scalarText ?? ""
                result.append(YAMLPair(key: pair.key, value: try apply(pair.value, path: path.appending(key))))
            }
            return YAMLNode(.mapping(result), tag: node.tag, location: node.location)
        }
    }
}
