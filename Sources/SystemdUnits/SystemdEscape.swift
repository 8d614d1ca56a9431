/// systemd's escaping rules, as `systemd-escape` and the unit-file parser apply them.
public enum SystemdEscape {
    /// A string as one component of a unit name (`systemd-escape STRING`): `/` becomes `-`, every
    /// byte outside `[A-Za-z0-9:_.]` (and a leading `.`) becomes `\xNN`.
    public static func unitNameComponent(_ text: String) -> String {
        var result = ""
        for (index, byte) in text.utf8.enumerated() {
            switch byte {
            case UInt8(ascii: "/"):
                result += "-"
            case UInt8(ascii: "."):
                result += index == 0 ? "\\x2e" : "."
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: ":"), UInt8(ascii: "_"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                result += "\\x" + hex(byte)
            }
        }
        return result
    }

    /// One argument of an `Exec…=` line: specifiers (`%`) and variable expansion (`$`) disabled,
    /// quoted when it holds white space, quotes, backslashes or is empty.
    public static func execArgument(_ argument: String) -> String {
        var escaped = ""
        var needsQuotes = argument.isEmpty
        for character in argument {
            switch character {
            case "%": escaped += "%%"
            case "$": escaped += "$$"
            case "\\": escaped += "\\\\"; needsQuotes = true
            case "\"": escaped += "\\\""; needsQuotes = true
            case "'": escaped += "'"; needsQuotes = true
            case " ", "\t": escaped.append(character); needsQuotes = true
            case "\n": escaped += "\\n"; needsQuotes = true
            case ";": escaped += ";"; needsQuotes = true
            default: escaped.append(character)
            }
        }
        return needsQuotes ? "\"\(escaped)\"" : escaped
    }

    /// A command line for `ExecStart=` and friends; the program must be an absolute path.
    public static func commandLine(_ arguments: [String]) -> String {
        arguments.map(execArgument).joined(separator: " ")
    }

    /// A path for a setting that takes exactly one path (`WorkingDirectory=`): systemd reads the
    /// rest of the line as the path, unquoted, so only specifiers (`%`) need escaping.
    public static func path(_ path: String) -> String {
        path.replacingAll("%", with: "%%")
    }

    /// One path of a space-separated list (`RequiresMountsFor=`): specifiers escaped, quoted
    /// when it holds white space, quotes or backslashes. No `$` expansion happens there.
    public static func pathListItem(_ path: String) -> String {
        var escaped = ""
        var needsQuotes = false
        for character in path {
            switch character {
            case "%": escaped += "%%"
            case "\\", "\"": escaped += "\\" + String(character); needsQuotes = true
            case " ", "\t", "'": escaped.append(character); needsQuotes = true
            default: escaped.append(character)
            }
        }
        return needsQuotes ? "\"\(escaped)\"" : escaped
    }

    /// A value for `Environment=`: one `NAME=value` assignment, quoted as systemd reads it.
    public static func environmentAssignment(_ name: String, _ value: String) -> String {
        execArgument("\(name)=\(value)")
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0xf)]])
    }
}

extension String {
    fileprivate func replacingAll(_ target: Character, with replacement: String) -> String {
        var result = ""
        for character in self {
            if character == target { result += replacement } else { result.append(character) }
        }
        return result
    }
}
