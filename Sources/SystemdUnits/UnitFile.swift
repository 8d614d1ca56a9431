/// A systemd unit file as written: sections in order, each a list of entries, comments and
/// blank lines, so that parsing and rendering a file gives back the same text. Continuation lines
/// (a trailing backslash) are joined into one value when parsed and rendered on one line.
public struct UnitFile: Sendable, Hashable, CustomStringConvertible {
    public enum Line: Sendable, Hashable {
        case entry(key: String, value: String)
        case comment(String)
        case blank
    }

    public struct Section: Sendable, Hashable {
        public var name: String
        public var lines: [Line]

        public init(_ name: String, _ lines: [Line] = []) {
            self.name = name
            self.lines = lines
        }

        /// The values of every `key=` entry, in order (systemd allows repeats: `ExecStartPre=`).
        public func values(_ key: String) -> [String] {
            lines.compactMap { line in
                if case .entry(let entryKey, let value) = line, entryKey == key { return value }
                return nil
            }
        }

        public mutating func append(_ key: String, _ value: String) {
            lines.append(.entry(key: key, value: value))
        }
    }

    /// Comments and blank lines before the first section.
    public var preamble: [Line]
    public var sections: [Section]

    public init(preamble: [Line] = [], sections: [Section] = []) {
        self.preamble = preamble
        self.sections = sections
    }

    public subscript(section name: String) -> Section? {
        sections.first { $0.name == name }
    }

    /// Parses unit-file syntax. Throws on text outside a section and on lines that are neither
    /// `[Section]`, `key=value`, a comment nor blank, naming the line.
    public init(parsing text: String) throws(UnitFileError) {
        var preamble: [Line] = []
        var sections: [Section] = []
        var pending: (key: String, value: String, line: Int)?
        var lineNumber = 0
        func add(_ line: Line) throws(UnitFileError) {
            if sections.isEmpty {
                if case .entry = line { throw UnitFileError(line: lineNumber, "an entry before the first [Section]") }
                preamble.append(line)
            } else {
                sections[sections.count - 1].lines.append(line)
            }
        }
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = String(raw)
            if var continuing = pending {
                let part = line.trimmingWhitespace
                if part.hasSuffix("\\") {
                    continuing.value += " " + String(part.dropLast()).trimmingWhitespace
                    pending = continuing
                } else {
                    pending = nil
                    try add(.entry(key: continuing.key, value: continuing.value + " " + part))
                }
                continue
            }
            let trimmed = line.trimmingWhitespace
            if trimmed.isEmpty {
                try add(.blank)
            } else if trimmed.hasPrefix("#") || trimmed.hasPrefix(";") {
                try add(.comment(trimmed))
            } else if trimmed.hasPrefix("[") {
                guard trimmed.hasSuffix("]"), trimmed.count > 2 else {
                    throw UnitFileError(line: lineNumber, "a section header must read [Name]")
                }
                sections.append(Section(String(trimmed.dropFirst().dropLast())))
            } else if let equals = trimmed.firstIndex(of: "=") {
                let key = String(trimmed[..<equals]).trimmingWhitespace
                var value = String(trimmed[trimmed.index(after: equals)...]).trimmingWhitespace
                guard !key.isEmpty else { throw UnitFileError(line: lineNumber, "an entry without a key") }
                if value.hasSuffix("\\") {
                    value = String(value.dropLast()).trimmingWhitespace
                    pending = (key, value, lineNumber)
                    continue
                }
                try add(.entry(key: key, value: value))
            } else {
                throw UnitFileError(line: lineNumber, "expected [Section], key=value or a comment")
            }
        }
        if let continuing = pending {
            lineNumber = continuing.line
            try add(.entry(key: continuing.key, value: continuing.value))
        }
        // The final newline of a file is not a blank line.
        if sections.last?.lines.last == .blank { sections[sections.count - 1].lines.removeLast() }
        self.preamble = preamble
        self.sections = sections
    }

    /// The file's text, ending with a newline.
    public var description: String {
        var text = ""
        func render(_ line: Line) {
            switch line {
            case .entry(let key, let value): text += "\(key)=\(value)\n"
            case .comment(let comment): text += comment + "\n"
            case .blank: text += "\n"
            }
        }
        preamble.forEach(render)
        for section in sections {
            text += "[\(section.name)]\n"
            section.lines.forEach(render)
        }
        return text
    }
}

/// A unit file that does not parse: the line and what is wrong.
public struct UnitFileError: Error, Sendable, Hashable, CustomStringConvertible {
    public var line: Int
    public var message: String

    public init(line: Int, _ message: String) {
        self.line = line
        self.message = message
    }

    public var description: String { "line \(line): \(message)" }
}

extension String {
    var trimmingWhitespace: String {
        var text = Substring(self)
        while let first = text.first, first == " " || first == "\t" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" || last == "\r" { text = text.dropLast() }
        return String(text)
    }
}
