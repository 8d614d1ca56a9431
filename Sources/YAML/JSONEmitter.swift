/// Writes a node tree as JSON, the way `docker compose config --format json` prints it: mappings
/// become objects (key order kept), sequences arrays, and scalars take their resolved type, so
/// plain `8080` is a number and `"8080"` a string.
public enum JSONEmitter {
    /// The node as JSON, without a trailing newline. `pretty` indents by two spaces, one member
    /// per line; otherwise the output is compact.
    public static func emit(_ node: YAMLNode, pretty: Bool) -> String {
        var output = ""
        write(node, pretty: pretty, indent: 0, into: &output)
        return output
    }

    private static func write(_ node: YAMLNode, pretty: Bool, indent: Int, into output: inout String) {
        switch node.kind {
        case .scalar:
            scalar(node, into: &output)
        case .sequence(let items):
            guard !items.isEmpty else {
                output += "[]"
                return
            }
            output += "["
            for (index, item) in items.enumerated() {
                if index > 0 { output += "," }
                newline(pretty, indent + 2, into: &output)
                write(item, pretty: pretty, indent: indent + 2, into: &output)
            }
            newline(pretty, indent, into: &output)
            output += "]"
        case .mapping(let pairs):
            guard !pairs.isEmpty else {
                output += "{}"
                return
            }
            output += "{"
            for (index, pair) in pairs.enumerated() {
                if index > 0 { output += "," }
                newline(pretty, indent + 2, into: &output)
                ScalarQuoting.doubleQuoted(keyText(pair.key), into: &output)
                output += pretty ? ": " : ":"
                write(pair.value, pretty: pretty, indent: indent + 2, into: &output)
            }
            newline(pretty, indent, into: &output)
            output += "}"
        }
    }

    private static func newline(_ pretty: Bool, _ indent: Int, into output: inout String) {
        guard pretty else { return }
        output += "\n"
        output += String(repeating: " ", count: indent)
    }

    /// JSON keys are strings: a scalar key gives its text, a collection key its compact JSON.
    private static func keyText(_ key: YAMLNode) -> String {
        if let text = key.scalarText { return text }
        return emit(key, pretty: false)
    }

    private static func scalar(_ node: YAMLNode, into output: inout String) {
        guard case .scalar(let text, _) = node.kind else { return }
        switch node.resolved {
        case .null:
            output += "null"
        case .bool(let value):
            output += value ? "true" : "false"
        case .int(let value):
            output += String(value)
        case .double(let value) where value.isFinite:
            output += number(value)
        default:
            // Strings, and `.inf`/`.nan`, which JSON cannot express as numbers.
            ScalarQuoting.doubleQuoted(text, into: &output)
        }
    }

    /// Whole numbers without a fraction (`1e3` → `1000`, as Go's encoder prints a float64),
    /// others in Swift's shortest round-tripping form, which is valid JSON.
    private static func number(_ value: Double) -> String {
        // Conversion rather than `rounded()`/`Int(exactly:)`, which optimise to libm calls
        // (round, trunc) that this target does not link.
        if value.magnitude < 1e15, Double(Int(value)) == value { return String(Int(value)) }
        return String(value)
    }
}
