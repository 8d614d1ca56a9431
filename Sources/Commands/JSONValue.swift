import Foundation

/// A JSON value whose objects keep their keys in the order they were built, so `inspect` prints
/// docker's order (`Id`, `Created`, `Path`, …), and whose dotted paths a `--format` template can
/// look up.
indirect enum JSONValue: Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    static func optional(_ text: String?) -> JSONValue { text.map(JSONValue.string) ?? .null }
    static func strings(_ list: [String]) -> JSONValue { .array(list.map(JSONValue.string)) }
    static func map(_ dictionary: [String: String]) -> JSONValue {
        .object(dictionary.keys.sorted().map { ($0, .string(dictionary[$0] ?? "")) })
    }

    /// The member `key` of an object; nil for anything else or a missing key.
    subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == key }?.1
    }

    /// JSON text: indented by four spaces as docker prints it, or on one line.
    func rendered(pretty: Bool, indent: String = "") -> String {
        let inner = indent + "    "
        switch self {
        case .null: return "null"
        case .bool(let value): return value ? "true" : "false"
        case .int(let value): return String(value)
        case .string(let value): return Self.quoted(value)
        case .array(let items):
            if items.isEmpty { return "[]" }
            guard pretty else { return "[" + items.map { $0.rendered(pretty: false) }.joined(separator: ",") + "]" }
            return "[\n" + items.map { inner + $0.rendered(pretty: true, indent: inner) }.joined(separator: ",\n") + "\n" + indent + "]"
        case .object(let members):
            if members.isEmpty { return "{}" }
            guard pretty else {
                return "{" + members.map { Self.quoted($0.0) + ":" + $0.1.rendered(pretty: false) }.joined(separator: ",") + "}"
            }
            return "{\n" + members.map { inner + Self.quoted($0.0) + ": " + $0.1.rendered(pretty: true, indent: inner) }
                .joined(separator: ",\n") + "\n" + indent + "}"
        }
    }

    /// How a Go template prints the value: strings bare, scalars as text, `<no value>` for null,
    /// and (where Go would print `map[…]`) compound values as one-line JSON.
    var templateText: String {
        switch self {
        case .null: "<no value>"
        case .string(let value): value
        default: rendered(pretty: false)
        }
    }

    /// A JSON string literal, escaped as RFC 8259 asks (and `/` left alone, as docker leaves it).
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                result += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
