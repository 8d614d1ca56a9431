/// An `.env` / `env_file` line that does not parse, with its 1-based line number.
///
/// The loader adds the file name; the line is where the offending key or value starts (a quoted
/// value may span several lines).
public struct DotEnvError: Error, Sendable, Hashable, CustomStringConvertible {
    /// 1-based line where the offending key or value starts.
    public var line: Int
    /// What is wrong, without location.
    public var message: String

    public init(line: Int, message: String) {
        self.line = line
        self.message = message
    }

    public var description: String { "line \(line): \(message)" }
}

/// The dotenv format of `.env` and `env_file`, as compose-go's `dotenv` package reads it.
///
/// - `KEY=value`, `KEY: value` (YAML style) and `export KEY=value`; keys are letters, digits and
///   `_ . - [ ]`.
/// - Blank lines and `#` comment lines; after an unquoted value, ` #` starts a comment.
/// - Unquoted values run to the end of the line and are trimmed.
/// - `'single'` quotes are literal (only `\'` is unescaped); `"double"` quotes understand
///   `\n \t \r \a \b \f \v \\ \" \$` and `\0ooo` octal; both may span lines.
/// - `${VAR}` expressions in unquoted and double-quoted values are interpolated, looking a name up
///   first with `lookup` (the environment) and then among the keys defined earlier in the file,
///   which is compose-go's order.
/// - A bare `KEY` takes its value from `lookup`, and is left out when `lookup` does not know it.
///
/// Deviations from compose-go, each on input it mishandles: a last line `KEY` without a newline is
/// treated like `KEY` followed by a newline (compose-go stores it under the empty key), and a key
/// containing a tab is rejected like one containing a space. An empty key (`="value"`) is accepted,
/// as compose-go's tests require.
public enum DotEnv {
    /// Parses `text` into its assignments, in file order; a key may appear more than once and the
    /// caller lets the later one win.
    public static func parse(
        _ text: String, lookup: (String) -> String?
    ) throws(DotEnvError) -> [(key: String, value: String)] {
        var parser = Parser(text)
        return try parser.parse(lookup: lookup)
    }
}

private struct Parser {
    let source: [Unicode.Scalar]
    var position = 0
    var assignments: [(key: String, value: String)] = []
    var defined: [String: String] = [:]

    init(_ text: String) {
        var scalars = Array(text.unicodeScalars)
        if scalars.first == "\u{FEFF}" { scalars.removeFirst() }  // editors on Windows add a BOM
        source = scalars
    }

    mutating func parse(lookup: (String) -> String?) throws(DotEnvError) -> [(key: String, value: String)] {
        while skipToStatement() {
            let (key, inherited) = try readKey()
            if inherited {
                if let value = lookup(key) { assign(key, value) }
                continue
            }
            skip(while: isInlineSpace)
            let value = try readValue(lookup: lookup)
            assign(key, value)
        }
        return assignments
    }

    private mutating func assign(_ key: String, _ value: String) {
        assignments.append((key, value))
        defined[key] = value
    }

    /// Skips whitespace and comment lines; false at the end of the input.
    private mutating func skipToStatement() -> Bool {
        while true {
            skip(while: \.properties.isWhitespace)
            guard position < source.count else { return false }
            guard source[position] == "#" else { return true }
            skip { $0 != "\n" }
        }
    }

    /// Reads `[export ]KEY` up to and including its `=`, `:` or newline (then `inherited`).
    private mutating func readKey() throws(DotEnvError) -> (key: String, inherited: Bool) {
        if hasPrefix("export"), position + 6 < source.count, source[position + 6].properties.isWhitespace {
            position += 6
            skip(while: isInlineSpace)
        }
        let start = position
        var inherited = true
        var keyEnd = source.count
        scan: while position < source.count {
            let scalar = source[position]
            switch scalar {
            case "=", ":", "\n":
                keyEnd = position
                inherited = scalar == "\n"
                position += 1
                break scan
            case "_", ".", "-", "[", "]":
                break
            case _ where isInlineSpace(scalar) || isLetterOrNumber(scalar):
                break
            default:
                let lineText = String(String.UnicodeScalarView(source[start...].prefix { $0 != "\n" }))
                throw DotEnvError(
                    line: line(at: position),
                    message: "unexpected character \"\(scalar)\" in variable name \"\(lineText)\""
                        + " (names are letters, digits and _ . - [ ])")
            }
            position += 1
        }
        var key = source[start..<keyEnd]
        while let last = key.last, last.properties.isWhitespace { key.removeLast() }
        guard !key.contains(where: isInlineSpace) else {
            throw DotEnvError(line: line(at: start), message: "key cannot contain a space")
        }
        return (String(String.UnicodeScalarView(key)), inherited)
    }

    private mutating func readValue(lookup: (String) -> String?) throws(DotEnvError) -> String {
        let valueStart = position
        let quote = position < source.count ? source[position] : "\n"
        guard quote == "\"" || quote == "'" else {
            let start = position
            skip { $0 != "\n" }
            var value = source[start..<position]
            if position < source.count { position += 1 }
            if let comment = value.indices.first(where: { value[$0] == " " && value[($0 + 1)...].first == "#" }) {
                value = value[..<comment]
            }
            while let last = value.last, last.properties.isWhitespace { value.removeLast() }
            return try expand(String(String.UnicodeScalarView(value)), at: valueStart, lookup: lookup)
        }

        // Backslashes are kept for the escape pass below, except before the closing quote.
        var content = String.UnicodeScalarView()
        var escaped = false
        var index = position + 1
        while index < source.count {
            let scalar = source[index]
            index += 1
            if scalar == quote && !escaped {
                position = index
                let value = String(content)
                guard quote == "\"" else { return value }
                return try expand(Self.unescape(value), at: valueStart, lookup: lookup)
            }
            if scalar == "\\" && !escaped {
                escaped = true
                continue
            }
            if escaped && scalar != quote { content.append("\\") }
            escaped = false
            content.append(scalar)
        }
        let lineText = String(String.UnicodeScalarView(source[position...].prefix { $0 != "\n" }))
        throw DotEnvError(line: line(at: valueStart), message: "unterminated quoted value \(lineText) (add the closing \(quote))")
    }

    /// Interpolates a value that starts at `start` (for the line of an error).
    private func expand(_ value: String, at start: Int, lookup: (String) -> String?) throws(DotEnvError) -> String {
        do {
            return try Interpolator.interpolate(value) { name in lookup(name) ?? defined[name] }
        } catch {
            throw DotEnvError(line: line(at: start), message: error.message)
        }
    }

    /// Expands the escapes of a double-quoted value as compose-go does: `\$` becomes `$$` so that
    /// interpolation leaves a literal `$`; an escape it does not know is kept with its backslash.
    static func unescape(_ value: String) -> String {
        guard value.unicodeScalars.contains("\\") else { return value }
        let scalars = Array(value.unicodeScalars)
        var output = String.UnicodeScalarView()
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            guard scalar == "\\", index + 1 < scalars.count else {
                output.append(scalar)
                index += 1
                continue
            }
            let next = scalars[index + 1]
            switch next {
            case "a": output.append("\u{07}")
            case "b": output.append("\u{08}")
            case "f": output.append("\u{0C}")
            case "n": output.append("\n")
            case "r": output.append("\r")
            case "t": output.append("\t")
            case "v": output.append("\u{0B}")
            case "\\": output.append("\\")
            case "\"": output.append("\"")
            case "$": output.append(contentsOf: "$$".unicodeScalars)
            case "0":
                // `\0` and up to three digits; exactly three octal digits up to 0377 make a
                // character, anything else stays as written.
                var end = index + 2
                while end < scalars.count, end < index + 5, ("0"..."9").contains(scalars[end]) { end += 1 }
                let digits = scalars[(index + 2)..<end]
                if digits.count == 3, let code = UInt8(String(String.UnicodeScalarView(digits)), radix: 8) {
                    output.append(Unicode.Scalar(code))
                } else {
                    output.append(contentsOf: scalars[index..<end])
                }
                index = end
                continue
            default:
                // `\c` is in compose-go's escape pattern but is not a Go escape: kept, like any other.
                output.append(scalar)
                output.append(next)
            }
            index += 2
        }
        return String(output)
    }

    private func hasPrefix(_ word: String) -> Bool {
        var index = position
        for scalar in word.unicodeScalars {
            guard index < source.count, source[index] == scalar else { return false }
            index += 1
        }
        return true
    }

    private mutating func skip(while predicate: (Unicode.Scalar) -> Bool) {
        while position < source.count, predicate(source[position]) { position += 1 }
    }

    /// Counted only when an error needs it, so that parsing stays linear.
    private func line(at index: Int) -> Int {
        1 + source[..<min(index, source.count)].lazy.filter { $0 == "\n" }.count
    }

    /// Whitespace other than a line break (compose-go's `isSpace`).
    private func isInlineSpace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "\t", "\u{0B}", "\u{0C}", "\r", " ", "\u{85}", "\u{A0}": true
        default: false
        }
    }

    private func isLetterOrNumber(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .decimalNumber, .letterNumber, .otherNumber:
            true
        default:
            false
        }
    }
}
