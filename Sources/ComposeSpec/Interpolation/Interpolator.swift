/// Substitutes `$VAR` and `${VAR…}` expressions the way docker compose does.
///
/// The grammar is compose-go's `template` package, including its corners:
///
/// | text | result |
/// |---|---|
/// | `$VAR`, `${VAR}` | the value, or empty when unset |
/// | `${VAR:-default}` / `${VAR-default}` | `default` when unset or empty / only when unset |
/// | `${VAR:+alt}` / `${VAR+alt}` | `alt` when set and non-empty / when set, else the (empty) value |
/// | `${VAR:?message}` / `${VAR?message}` | an error carrying `message` when unset or empty / only when unset |
/// | `$$` | a literal `$` |
/// | `$` before anything that does not start a name or `{` | kept as it is (`a $ b`, `^x$`, `$1`) |
/// | `${` not followed by `NAME}` or `NAME` + operator + `…}` | an error |
///
/// Names are ASCII letters, digits and `_`, not starting with a digit. Defaults, alternatives and
/// messages are themselves interpolated, and only when they are used (`${A:-${B:?b is needed}}`
/// does not fail when `A` is set). As in compose-go, an operand runs to the *last* `}` on its line
/// and is then cut at the brace that closes the `${`: what follows it on that line is interpolated
/// on its own, so `${A:-x} and ${B:-y}` means what it says.
///
/// Interpolation is a single left-to-right scan over UTF-8 bytes, without regular expressions;
/// a string with no `$` is returned as it is.
public struct Interpolator: Sendable {
    private let lookup: @Sendable (String) -> String?

    /// - Parameter lookup: the value of a variable, or `nil` when it is unset (which differs from
    ///   set to the empty string for `-`, `+` and `?`).
    public init(lookup: @escaping @Sendable (String) -> String?) {
        self.lookup = lookup
    }

    /// Returns `text` with every variable expression substituted.
    ///
    /// - Throws: `ComposeValueError` for a malformed `${…}` or a required variable that is missing.
    public func interpolate(_ text: String) throws(ComposeValueError) -> String {
        try Self.interpolate(text, lookup: lookup)
    }

    /// The same substitution with a non-escaping lookup, for callers (the dotenv parser) that
    /// resolve names against state they are still building.
    static func interpolate(_ text: String, lookup: (String) -> String?) throws(ComposeValueError) -> String {
        guard text.utf8.contains(ASCII.dollar) else { return text }
        let bytes = Array(text.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        try substitute(bytes[...], into: &output, lookup: lookup)
        return String(decoding: output, as: UTF8.self)
    }

    /// Appends the substitution of `template` to `output`.
    private static func substitute(
        _ template: ArraySlice<UInt8>, into output: inout [UInt8], lookup: (String) -> String?
    ) throws(ComposeValueError) {
        let end = template.endIndex
        var index = template.startIndex
        var pending = index  // start of the literal run not yet copied
        while let dollar = template[index...].firstIndex(of: ASCII.dollar) {
            let next = dollar + 1
            guard next < end else { break }  // a trailing `$` is literal
            let lead = template[next]
            if lead == ASCII.dollar {
                output.append(contentsOf: template[pending..<dollar])
                output.append(ASCII.dollar)
                index = next + 1
                pending = index
            } else if isNameStart(lead) {
                let nameEnd = template[next...].firstIndex { !isNameContinuation($0) } ?? end
                output.append(contentsOf: template[pending..<dollar])
                output.append(contentsOf: (lookup(string(template[next..<nameEnd])) ?? "").utf8)
                index = nameEnd
                pending = index
            } else if lead == ASCII.openBrace {
                output.append(contentsOf: template[pending..<dollar])
                index = try substituteBraced(template, at: dollar, into: &output, lookup: lookup)
                pending = index
            } else {
                index = next  // `$` before anything else is literal, like the regex not matching
            }
        }
        output.append(contentsOf: template[pending..<end])
    }

    /// Substitutes the `${…}` expression starting at `dollar` and returns the index after it.
    private static func substituteBraced(
        _ template: ArraySlice<UInt8>, at dollar: Int, into output: inout [UInt8], lookup: (String) -> String?
    ) throws(ComposeValueError) -> Int {
        let end = template.endIndex
        var invalid: ComposeValueError {
            ComposeValueError("invalid interpolation format for \"\(string(template))\" (write a literal $ as $$)")
        }
        let nameStart = dollar + 2
        guard nameStart < end, isNameStart(template[nameStart]) else { throw invalid }
        let nameEnd = template[nameStart...].firstIndex { !isNameContinuation($0) } ?? end
        guard nameEnd < end else { throw invalid }
        let name = string(template[nameStart..<nameEnd])
        if template[nameEnd] == ASCII.closeBrace {
            output.append(contentsOf: (lookup(name) ?? "").utf8)
            return nameEnd + 1
        }

        let colon = template[nameEnd] == ASCII.colon
        let operatorIndex = colon ? nameEnd + 1 : nameEnd
        guard operatorIndex < end, let kind = Operator(rawValue: template[operatorIndex]) else { throw invalid }
        let operandStart = operatorIndex + 1

        // compose-go's pattern ends in `(.*)}` where `.` stops at a newline: the match is greedy up
        // to the last `}` of the line...
        let lineEnd = template[operandStart...].firstIndex(of: ASCII.newline) ?? end
        guard let lastBrace = template[operandStart..<lineEnd].lastIndex(of: ASCII.closeBrace) else {
            throw invalid
        }
        // ...and then cut at the brace that closes this `${`; the rest of the match is
        // interpolated separately and appended.
        let operandEnd = closingBrace(template[dollar...lastBrace]) ?? lastBrace
        let operand = template[operandStart..<operandEnd]

        let value = lookup(name)
        let isSet = value != nil
        let isNonEmpty = !(value ?? "").isEmpty
        switch (kind, colon) {
        case (.dash, true) where !isNonEmpty, (.dash, false) where !isSet:
            try substitute(operand, into: &output, lookup: lookup)
        case (.plus, true) where isNonEmpty, (.plus, false) where isSet:
            try substitute(operand, into: &output, lookup: lookup)
        case (.question, true) where !isNonEmpty, (.question, false) where !isSet:
            var reason: [UInt8] = []
            try substitute(operand, into: &reason, lookup: lookup)
            throw ComposeValueError(
                reason.isEmpty
                    ? "required variable \(name) is missing a value"
                    : "required variable \(name) is missing a value: \(String(decoding: reason, as: UTF8.self))")
        default:
            output.append(contentsOf: (value ?? "").utf8)
        }
        if operandEnd < lastBrace {
            try substitute(template[(operandEnd + 1)...lastBrace], into: &output, lookup: lookup)
        }
        return lastBrace + 1
    }

    /// The index of the `}` closing the `${` that `expression` starts with, counting nested braces
    /// as compose-go does (the character after each `{` is skipped), or nil when they never balance.
    private static func closingBrace(_ expression: ArraySlice<UInt8>) -> Int? {
        var depth = 0
        var index = expression.startIndex
        while index < expression.endIndex {
            switch expression[index] {
            case ASCII.closeBrace:
                depth -= 1
                if depth == 0 { return index }
            case ASCII.openBrace:
                depth += 1
                index += 1
            default:
                break
            }
            index += 1
        }
        return nil
    }

    private enum Operator: UInt8 {
        case dash = 0x2D  // -
        case plus = 0x2B  // +
        case question = 0x3F  // ?
    }

    private static func isNameStart(_ byte: UInt8) -> Bool {
        byte == ASCII.underscore || (byte | 0x20 >= ASCII.lowerA && byte | 0x20 <= ASCII.lowerZ)
    }

    private static func isNameContinuation(_ byte: UInt8) -> Bool {
        isNameStart(byte) || (byte >= ASCII.zero && byte <= ASCII.nine)
    }

    private static func string(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self)
    }
}

/// The ASCII bytes the value parsers look for.
enum ASCII {
    static let newline: UInt8 = 0x0A
    static let dollar: UInt8 = 0x24
    static let colon: UInt8 = 0x3A
    static let openBrace: UInt8 = 0x7B
    static let closeBrace: UInt8 = 0x7D
    static let underscore: UInt8 = 0x5F
    static let lowerA: UInt8 = 0x61
    static let lowerZ: UInt8 = 0x7A
    static let zero: UInt8 = 0x30
    static let nine: UInt8 = 0x39
}
