/// Decides how a string must be written so that it reads back as the same string, shared by the
/// YAML emitter and the encoder (which marks strings that need quotes as `.doubleQuoted`).
enum ScalarQuoting {
    /// Words YAML 1.1 readers (PyYAML, older go-yaml, docker-compose v1) take as booleans or the
    /// merge key; quoting them keeps output portable although the 1.2 core schema reads them as
    /// strings.
    private static let yaml11Words: Set<String> = [
        "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
        "on", "On", "ON", "off", "Off", "OFF", "<<", "=",
    ]

    /// True when `text` can be written as a plain scalar and reads back as this same string.
    static func isPlainSafeString(_ text: String) -> Bool {
        let bytes = text.utf8
        guard let first = bytes.first, let last = bytes.last else { return false }
        // `-x` is plain-safe (YAML 1.2 ns-plain-first) and compose prints command flags that way;
        // `-`, `- x` and `---` are not.
        if first == UInt8(ascii: "-") {
            guard bytes.count > 1, !text.hasPrefix("- "), !text.hasPrefix("---") else { return false }
        }
        switch first {
        case UInt8(ascii: "?"), UInt8(ascii: ":"), UInt8(ascii: ","),
             UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "{"), UInt8(ascii: "}"),
             UInt8(ascii: "#"), UInt8(ascii: "&"), UInt8(ascii: "*"), UInt8(ascii: "!"),
             UInt8(ascii: "|"), UInt8(ascii: ">"), UInt8(ascii: "'"), UInt8(ascii: "\""),
             UInt8(ascii: "%"), UInt8(ascii: "@"), UInt8(ascii: "`"), UInt8(ascii: " "):
            return false
        default:
            break
        }
        if last == UInt8(ascii: " ") || last == UInt8(ascii: ":") { return false }
        if case .string = resolvePlain(text) {} else { return false }
        if (bytes.count <= 3 && yaml11Words.contains(text)) || readsAsNumberElsewhere(text)
            || text.hasPrefix("...") { return false }
        var previous: UInt8 = 0
        for byte in bytes {
            if byte < 0x20 || byte == 0x7F { return false }
            if byte == UInt8(ascii: " ") && previous == UInt8(ascii: ":") { return false }
            if byte == UInt8(ascii: "#") && previous == UInt8(ascii: " ") { return false }
            previous = byte
        }
        return !bytes.contains(where: { $0 >= 0x80 }) || !text.unicodeScalars.contains(where: mustEscape)
    }

    /// `ResolvedScalar.resolvePlain`, answering `.string` at once for text whose first byte
    /// cannot start a null, a boolean or a number (most text, and the emitter asks for every
    /// scalar).
    static func resolvePlain(_ text: String) -> ResolvedScalar {
        guard let first = text.utf8.first else { return .null }
        switch first {
        case UInt8(ascii: "~"), UInt8(ascii: "n"), UInt8(ascii: "N"), UInt8(ascii: "t"), UInt8(ascii: "T"),
             UInt8(ascii: "f"), UInt8(ascii: "F"), UInt8(ascii: "."), UInt8(ascii: "+"), UInt8(ascii: "-"),
             UInt8(ascii: "0")...UInt8(ascii: "9"):
            return ResolvedScalar.resolvePlain(text)
        default:
            return .string(text)
        }
    }

    /// True for text the core schema reads as a string but YAML 1.1 readers and go-yaml (which
    /// prints `docker compose config`) read as a number or a date: digits with underscores
    /// (`1_000`), `0b`/`0o`/`0X` prefixes, hex floats, `+inf`, sexagesimal numbers (`12:30`) and
    /// timestamps (`2024-01-02`). Like go-yaml, it leaves `1.2.3`, `8.8.8.8` and `80:80` plain.
    static func readsAsNumberElsewhere(_ text: String) -> Bool {
        guard let first = text.utf8.first, isDigit(first) || first == UInt8(ascii: "+")
                || first == UInt8(ascii: "-") || first == UInt8(ascii: ".") else { return false }
        var bytes = Array(text.utf8)[...]
        if isSexagesimal(bytes) || isTimestamp(bytes) { return true }
        if bytes.contains(UInt8(ascii: "_")) {
            let withoutUnderscores = String(decoding: bytes.filter { $0 != UInt8(ascii: "_") }, as: UTF8.self)
            if case .string = ResolvedScalar.resolvePlain(withoutUnderscores) {} else { return true }
        }
        if first == UInt8(ascii: "+") || first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
        let lowered = bytes.map { $0 | 0x20 }   // ASCII letters to lower case; digits unchanged
        if lowered.elementsEqual("inf".utf8) || lowered.elementsEqual("infinity".utf8)
            || lowered.elementsEqual("nan".utf8) { return true }
        // 0x, 0b, 0o in either case: Go's ParseInt/ParseFloat prefixes.
        if lowered.count > 2, lowered[0] == UInt8(ascii: "0"),
           lowered[1] == UInt8(ascii: "x") || lowered[1] == UInt8(ascii: "b") || lowered[1] == UInt8(ascii: "o") {
            return bytes.count > 2 && bytes.dropFirst(2).allSatisfy { byte in
                isDigit(byte) || (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "f"))
                    || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".") || byte | 0x20 == UInt8(ascii: "p")
                    || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")
            }
        }
        return false
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    /// YAML 1.1 base 60: `[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?`.
    private static func isSexagesimal(_ text: ArraySlice<UInt8>) -> Bool {
        var bytes = text
        if bytes.first == UInt8(ascii: "+") || bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
        guard let first = bytes.first, isDigit(first) else { return false }
        bytes = bytes.drop { isDigit($0) || $0 == UInt8(ascii: "_") }
        var groups = 0
        while bytes.first == UInt8(ascii: ":") {
            bytes = bytes.dropFirst()
            let digits = bytes.prefix(2)
            if digits.count == 2, let high = digits.first, let low = digits.last,
               high >= UInt8(ascii: "0"), high <= UInt8(ascii: "5"), isDigit(low) {
                bytes = bytes.dropFirst(2)
            } else if let digit = bytes.first, isDigit(digit) {
                bytes = bytes.dropFirst()
            } else {
                return false
            }
            groups += 1
        }
        guard groups > 0 else { return false }
        if bytes.first == UInt8(ascii: ".") {
            bytes = bytes.dropFirst().drop { isDigit($0) || $0 == UInt8(ascii: "_") }
        }
        return bytes.isEmpty
    }

    /// A YAML 1.1 timestamp: `YYYY-M-D`, alone or followed by `T`, `t` or a space and a time.
    private static func isTimestamp(_ text: ArraySlice<UInt8>) -> Bool {
        var bytes = text
        func digits(_ range: ClosedRange<Int>) -> Bool {
            let count = bytes.prefix(while: isDigit).count
            guard range.contains(count) else { return false }
            bytes = bytes.dropFirst(count)
            return true
        }
        guard digits(4...4), bytes.popFirst() == UInt8(ascii: "-"), digits(1...2),
              bytes.popFirst() == UInt8(ascii: "-"), digits(1...2) else { return false }
        guard let separator = bytes.popFirst() else { return true }
        guard separator == UInt8(ascii: "T") || separator == UInt8(ascii: "t") || separator == UInt8(ascii: " "),
              let next = bytes.first else { return false }
        return isDigit(next)
    }

    /// Characters a YAML (and JSON) double-quoted string writes as escapes: C0 and C1 controls,
    /// DEL, the Unicode line and paragraph separators (line breaks to YAML 1.1 and to
    /// JavaScript), the byte-order mark and the non-characters U+FFFE/U+FFFF.
    static func mustEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0..<0x20, 0x7F...0x9F, 0x2028, 0x2029, 0xFEFF, 0xFFFE, 0xFFFF: return true
        default: return false
        }
    }

    /// `text` in double quotes with JSON-style escapes (`\"`, `\\`, `\n`, `\t`, `\uXXXX`), valid
    /// both as a YAML double-quoted scalar and as a JSON string.
    static func doubleQuoted(_ text: String, into output: inout String) {
        output += "\""
        // Append unescaped runs as whole strings: mutating `output.unicodeScalars` in place would
        // copy the whole output on every call.
        let scalars = text.unicodeScalars
        var runStart = scalars.startIndex
        var index = scalars.startIndex
        while index < scalars.endIndex {
            let scalar = scalars[index]
            let escape: String?
            switch scalar {
            case "\"": escape = "\\\""
            case "\\": escape = "\\\\"
            case "\n": escape = "\\n"
            case "\t": escape = "\\t"
            case "\r": escape = "\\r"
            case "\u{08}": escape = "\\b"
            case "\u{0C}": escape = "\\f"
            default: escape = mustEscape(scalar) ? unicodeEscape(scalar.value) : nil
            }
            if let escape {
                if runStart < index { output += String(scalars[runStart..<index]) }
                output += escape
                runStart = scalars.index(after: index)
            }
            index = scalars.index(after: index)
        }
        if runStart == scalars.startIndex {
            output += text
        } else if runStart < scalars.endIndex {
            output += String(scalars[runStart..<scalars.endIndex])
        }
        output += "\""
    }

    private static func unicodeEscape(_ value: UInt32) -> String {
        let hex = String(value, radix: 16, uppercase: true)
        return "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }

    /// True when a multi-line string can be written as a literal block scalar and read back
    /// unchanged: no characters that need escapes, and a first non-empty line that does not start
    /// with white space (which would need an explicit indentation indicator).
    static func fitsLiteralBlock(_ text: String) -> Bool {
        guard text.utf8.contains(UInt8(ascii: "\n")) else { return false }
        var atLineStart = true
        var sawContent = false
        for scalar in text.unicodeScalars {
            if scalar == "\n" {
                atLineStart = true
                continue
            }
            if scalar != "\t" && mustEscape(scalar) { return false }
            if atLineStart && !sawContent {
                if scalar == " " || scalar == "\t" { return false }
                sawContent = true
            }
            atLineStart = false
        }
        return sawContent
    }
}
