import YAML

/// An untyped compose value, kept as written: only for the specification's free-form places,
/// the extension keys (`x-…`) that `config` prints and the config hash covers. Every key the
/// specification defines has a typed model.
public indirect enum ComposeValue: Sendable, Hashable, Codable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([ComposeValue])
    case map([String: ComposeValue])

    public init(from decoder: any Decoder) throws {
        let node = try NodeDecoder.of(decoder)
        self = try ComposeValue(node: node.node, path: node.path)
    }

    init(node: YAMLNode, path: ComposePath) throws {
        switch node.kind {
        case .scalar:
            switch node.resolved ?? .null {
            case .null: self = .null
            case .bool(let value): self = .bool(value)
            case .int(let value): self = .int(value)
            case .double(let value): self = .double(value)
            case .string(let value): self = .string(value)
            }
        case .sequence(let items):
            self = .list(try items.enumerated().map { try ComposeValue(node: $1, path: path.appending(index: $0)) })
        case .mapping(let pairs):
            var map: [String: ComposeValue] = [:]
            for pair in pairs {
                guard let key = pair.key.scalarText else {
                    throw ComposeError(.invalidType, at: pair.key.location, path: path.description, "keys must be strings")
                }
                map[key] = try ComposeValue(node: pair.value, path: path.appending(key))
            }
            self = .map(map)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .list(let values): try container.encode(values)
        case .map(let values): try container.encode(values)
        }
    }
}
