@testable import YAML

/// Parses one document, failing the test on error or on an empty stream.
func parseOne(_ text: String, file: String = "t.yaml") throws -> YAMLNode {
    guard let node = try YAMLParser.parse(text, file: file) else {
        throw TestFailure("expected a document in \(text.debugDescription)")
    }
    return node
}

/// The error a parse throws, or nil when it succeeds.
func parseError(_ text: String, limits: YAMLLimits = .default) -> YAMLError? {
    parseError(Array(text.utf8), limits: limits)
}

func parseError(_ bytes: [UInt8], limits: YAMLLimits = .default) -> YAMLError? {
    do {
        _ = try YAMLParser.parseDocuments(bytes, file: "t.yaml", limits: limits)
        return nil
    } catch {
        return error
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension YAMLNode {
    /// The tree with locations and styles erased and scalars reduced to their resolved value,
    /// so that two trees that mean the same compare equal.
    var meaning: Meaning {
        switch kind {
        case .scalar:
            switch resolved {
            case .string(let text): return .string(text, tag: tag)
            case .some(let value): return .value("\(value)", tag: tag)
            case .none: return .value("?", tag: tag)
            }
        case .sequence(let items): return .sequence(items.map(\.meaning), tag: tag)
        case .mapping(let pairs): return .mapping(pairs.map { [$0.key.meaning, $0.value.meaning] }, tag: tag)
        }
    }

    indirect enum Meaning: Hashable, CustomStringConvertible {
        case string(String, tag: String?)
        case value(String, tag: String?)
        case sequence([Meaning], tag: String?)
        case mapping([[Meaning]], tag: String?)

        var description: String {
            switch self {
            case .string(let text, let tag): return "\(tag.map { "!\($0) " } ?? "")\(text.debugDescription)"
            case .value(let text, let tag): return "\(tag.map { "!\($0) " } ?? "")\(text)"
            case .sequence(let items, let tag): return "\(tag.map { "!\($0) " } ?? "")\(items)"
            case .mapping(let pairs, let tag):
                return "\(tag.map { "!\($0) " } ?? ""){" + pairs.map { "\($0[0]): \($0[1])" }.joined(separator: ", ") + "}"
            }
        }
    }

    /// Keys of a mapping as text, in order.
    var keys: [String] { mappingPairs?.compactMap(\.key.scalarText) ?? [] }
}
