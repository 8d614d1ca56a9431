/// Writes a node tree as block-style YAML, the way `docker compose config` prints it: 2-space
/// indentation, sequence items indented under their key, `{}` and `[]` for empty collections,
/// `null` for null, strings quoted only when they must be.
///
/// The output parses back (with `YAMLParser`) to the same tree, up to locations and styles.
public enum YAMLEmitter {
    /// The node as a YAML document, ending in a newline.
    public static func emit(_ node: YAMLNode) -> String {
        var writer = Writer()
        writer.root(node)
        return writer.output
    }
}

private struct Writer {
    var output = ""

    /// Implicit keys longer than this must use the explicit `? key` form (YAML 1.2, 7.4.2).
    private static let maxImplicitKeyLength = 1024

    mutating func root(_ node: YAMLNode) {
        switch node.kind {
        case .mapping(let pairs) where !pairs.isEmpty:
            if let tag = node.tag { output += Self.tagText(tag) + "\n" }
            mapping(pairs, indent: 0, inline: false)
        case .sequence(let items) where !items.isEmpty:
            if let tag = node.tag { output += Self.tagText(tag) + "\n" }
            sequence(items, indent: 0, inline: false)
        default:
            inlineValue(node, blockIndent: 2)
            output += "\n"
        }
    }

    // MARK: - Collections

    /// Writes pairs at `indent`; with `inline` the cursor already stands where the first key goes
    /// (after `- `).
    private mutating func mapping(_ pairs: [YAMLPair], indent: Int, inline: Bool) {
        for (index, pair) in pairs.enumerated() {
            if index > 0 || !inline { spaces(indent) }
            if let key = implicitKey(pair.key) {
                output += key
                output += ":"
                value(pair.value, indent: indent)
            } else {
                // A collection or very long key: `? key` then `: value`, each laid out like a
                // sequence item.
                output += "?"
                item(pair.key, indent: indent)
                spaces(indent)
                output += ":"
                item(pair.value, indent: indent)
            }
        }
    }

    private mutating func sequence(_ items: [YAMLNode], indent: Int, inline: Bool) {
        for (index, node) in items.enumerated() {
            if index > 0 || !inline { spaces(indent) }
            output += "-"
            item(node, indent: indent)
        }
    }

    /// The value of a mapping pair whose key starts at `indent`; the cursor is after the `:`.
    /// Nested collections go on the next lines, indented by two (sequences too, as compose does).
    private mutating func value(_ node: YAMLNode, indent: Int) {
        switch node.kind {
        case .mapping(let pairs) where !pairs.isEmpty:
            if let tag = node.tag { output += " " + Self.tagText(tag) }
            output += "\n"
            mapping(pairs, indent: indent + 2, inline: false)
        case .sequence(let items) where !items.isEmpty:
            if let tag = node.tag { output += " " + Self.tagText(tag) }
            output += "\n"
            sequence(items, indent: indent + 2, inline: false)
        default:
            output += " "
            inlineValue(node, blockIndent: indent + 2)
            output += "\n"
        }
    }

    /// A sequence item (or an explicit key or value) whose indicator stands at `indent`; the
    /// cursor is after the indicator. Untagged collections start on the same line (`- - a`,
    /// `- key: v`).
    private mutating func item(_ node: YAMLNode, indent: Int) {
        switch node.kind {
        case .mapping(let pairs) where !pairs.isEmpty:
            if let tag = node.tag {
                output += " " + Self.tagText(tag) + "\n"
                mapping(pairs, indent: indent + 2, inline: false)
            } else {
                output += " "
                mapping(pairs, indent: indent + 2, inline: true)
            }
        case .sequence(let items) where !items.isEmpty:
            if let tag = node.tag {
                output += " " + Self.tagText(tag) + "\n"
                sequence(items, indent: indent + 2, inline: false)
            } else {
                output += " "
                sequence(items, indent: indent + 2, inline: true)
            }
        default:
            output += " "
            inlineValue(node, blockIndent: indent + 2)
            output += "\n"
        }
    }

    /// A scalar or an empty collection, with its tag, on the current line. A literal block
    /// scalar continues on the following lines at `blockIndent`.
    private mutating func inlineValue(_ node: YAMLNode, blockIndent: Int) {
        if let tag = node.tag { output += Self.tagText(tag) + " " }
        switch node.kind {
        case .mapping: output += "{}"
        case .sequence: output += "[]"
        case .scalar: scalar(node, blockIndent: blockIndent)
        }
    }

    /// A scalar key as written on one line, or nil when it must take the explicit `? key` form:
    /// a collection, or longer than YAML allows an implicit key to be.
    private func implicitKey(_ key: YAMLNode) -> String? {
        guard case .scalar = key.kind else { return nil }
        var writer = Writer()
        if let tag = key.tag { writer.output += Self.tagText(tag) + " " }
        writer.scalar(key, blockIndent: nil)
        return writer.output.unicodeScalars.count < Self.maxImplicitKeyLength ? writer.output : nil
    }

    // MARK: - Scalars

    /// Writes a scalar so that it reads back with the same meaning. `blockIndent` nil means a
    /// key: never a block scalar there.
    private mutating func scalar(_ node: YAMLNode, blockIndent: Int?) {
        guard case .scalar(let text, let style) = node.kind else { return }
        if style == .plain {
            switch ScalarQuoting.resolvePlain(text) {
            case .null where !(text.isEmpty && node.tag == "tag:yaml.org,2002:str"):
                // `~`, `Null` and the empty scalar all print as `null` (`key: !reset` too).
                output += node.tag == nil || text.isEmpty ? "null" : text
                return
            case .bool, .int, .double:
                output += text
                return
            case .string where ScalarQuoting.isPlainSafeString(text):
                output += text
                return
            default:
                break
            }
        }
        if let blockIndent, ScalarQuoting.fitsLiteralBlock(text) {
            literal(text, indent: blockIndent)
        } else {
            ScalarQuoting.doubleQuoted(text, into: &output)
        }
    }

    /// `|`, `|-` or `|+` by how many line breaks end the text, then its lines at `indent`. The
    /// caller writes the newline after the last line.
    private mutating func literal(_ text: String, indent: Int) {
        var body = Substring(text)
        var trailingBreaks = 0
        while body.utf8.last == UInt8(ascii: "\n") {
            body = body.dropLast()
            trailingBreaks += 1
        }
        output += trailingBreaks == 0 ? "|-" : trailingBreaks == 1 ? "|" : "|+"
        for line in body.split(separator: "\n", omittingEmptySubsequences: false) {
            output += "\n"
            if !line.isEmpty {
                spaces(indent)
                output += line
            }
        }
        if trailingBreaks > 1 { output += String(repeating: "\n", count: trailingBreaks - 1) }
    }

    private static let indentation = String(repeating: " ", count: 128)

    private mutating func spaces(_ count: Int) {
        if count <= Self.indentation.utf8.count {
            let end = Self.indentation.utf8.index(Self.indentation.startIndex, offsetBy: count)
            output += Self.indentation[..<end]
        } else {
            output += String(repeating: " ", count: count)
        }
    }

    /// `!reset`, `!!str`, or `!<tag:example.com,2024:x>` for tags outside the YAML namespace.
    private static func tagText(_ tag: String) -> String {
        let yamlPrefix = "tag:yaml.org,2002:"
        if tag.hasPrefix(yamlPrefix) { return "!!" + tag.dropFirst(yamlPrefix.count) }
        if tag.contains(":") || tag.contains("!") { return "!<" + tag + ">" }
        return "!" + tag
    }
}
