import CYAML

/// Reads YAML text into `YAMLNode` trees with 1-based source marks, through libyaml's event API.
///
/// Anchors, aliases and merge keys are resolved; duplicate keys, undefined aliases, alias bombs,
/// excessive nesting and oversized input are rejected with a `YAMLError` naming the place.
public enum YAMLParser {
    /// Every document of a stream, in order; an empty stream gives no documents.
    public static func parseDocuments(_ bytes: [UInt8], file: String,
                                      limits: YAMLLimits = .default) throws(YAMLError) -> [YAMLNode] {
        try read(bytes, file: file, limits: limits, single: false)
    }

    /// The single document of a stream, or nil for an empty stream. A second document is an
    /// error located where it starts.
    public static func parse(_ bytes: [UInt8], file: String,
                             limits: YAMLLimits = .default) throws(YAMLError) -> YAMLNode? {
        try read(bytes, file: file, limits: limits, single: true).first
    }

    /// Every document of a stream, in order; an empty stream gives no documents.
    public static func parseDocuments(_ text: String, file: String,
                                      limits: YAMLLimits = .default) throws(YAMLError) -> [YAMLNode] {
        try parseDocuments(Array(text.utf8), file: file, limits: limits)
    }

    /// The single document of a stream, or nil for an empty stream.
    public static func parse(_ text: String, file: String,
                             limits: YAMLLimits = .default) throws(YAMLError) -> YAMLNode? {
        try parse(Array(text.utf8), file: file, limits: limits)
    }

    // MARK: - Reading

    private static func read(_ bytes: [UInt8], file: String, limits: YAMLLimits,
                             single: Bool) throws(YAMLError) -> [YAMLNode] {
        if bytes.count > limits.maxBytes {
            throw YAMLError(.tooLarge, at: SourceLocation(file: file, line: 1, column: 1),
                            "file is \(bytes.count) bytes, more than the limit of \(limits.maxBytes); "
                                + "split it or raise the limit")
        }
        if let bad = UTF8Validation.firstInvalidOffset(in: bytes) {
            throw YAMLError(.invalidUTF8, at: UTF8Validation.location(ofOffset: bad, in: bytes, file: file),
                            "invalid UTF-8 byte 0x\(String(bytes[bad], radix: 16, uppercase: true)); "
                                + "save the file as UTF-8")
        }
        // A UTF-8 byte-order mark is not part of the text: skip it here so that libyaml does not
        // count it as a column.
        let start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        if bytes.count == start { return [] }
        let result = bytes.withUnsafeBufferPointer { buffer in
            Result { () throws(YAMLError) -> [YAMLNode] in
                let text = UnsafeBufferPointer(rebasing: buffer[start...])
                var session = try EventSession(text, file: file, limits: limits)
                defer { session.close() }
                return try session.documents(single: single)
            }
        }
        return try result.get()
    }
}

/// One pass of libyaml over a buffer that outlives it. Owns the C parser state.
private struct EventSession {
    private let parser: UnsafeMutablePointer<yaml_parser_t>
    private let buffer: UnsafeBufferPointer<UInt8>
    private let file: String
    private var builder: YAMLTreeBuilder

    init(_ buffer: UnsafeBufferPointer<UInt8>, file: String, limits: YAMLLimits) throws(YAMLError) {
        self.buffer = buffer
        self.file = file
        self.builder = YAMLTreeBuilder(file: file, limits: limits)
        parser = .allocate(capacity: 1)
        guard yaml_parser_initialize(parser) != 0 else {
            parser.deallocate()
            throw YAMLError(.syntax, at: .synthetic(file), "libyaml could not allocate a parser")
        }
        // The buffer is non-empty (checked by the caller), so it has a base address.
        if let base = buffer.baseAddress {
            yaml_parser_set_input_string(parser, base, buffer.count)
        }
        // Validated as UTF-8 above: never let libyaml guess UTF-16 from a stray BOM.
        yaml_parser_set_encoding(parser, YAML_UTF8_ENCODING)
    }

    func close() {
        yaml_parser_delete(parser)
        parser.deallocate()
    }

    mutating func documents(single: Bool) throws(YAMLError) -> [YAMLNode] {
        var documents: [YAMLNode] = []
        var event = yaml_event_t()
        while true {
            guard yaml_parser_parse(parser, &event) != 0 else { throw libyamlError() }
            defer { yaml_event_delete(&event) }
            let location = builder.location(line: Int(event.start_mark.line) + 1,
                                            column: Int(event.start_mark.column) + 1)
            switch event.type {
            case YAML_STREAM_END_EVENT:
                return documents
            case YAML_DOCUMENT_START_EVENT:
                if single && !documents.isEmpty {
                    throw YAMLError(.syntax, at: location,
                                    "expected a single YAML document, found a second one here; "
                                        + "remove the `---` separator or split the file")
                }
                builder.beginDocument()
            case YAML_DOCUMENT_END_EVENT:
                // libyaml guarantees one root node per document.
                if let root = builder.root { documents.append(root) }
            case YAML_SCALAR_EVENT:
                let data = event.data.scalar
                let text = String(decoding: UnsafeBufferPointer(start: data.value, count: Int(data.length)),
                                  as: UTF8.self)
                try builder.scalar(text, style: Self.style(data.style), tag: Self.tag(data.tag, scalar: true),
                                   anchor: Self.string(data.anchor), at: location)
            case YAML_ALIAS_EVENT:
                try builder.alias(Self.string(event.data.alias.anchor) ?? "", at: location)
            case YAML_SEQUENCE_START_EVENT:
                let data = event.data.sequence_start
                try builder.beginCollection(mapping: false, tag: Self.tag(data.tag, scalar: false),
                                            anchor: Self.string(data.anchor), at: location)
            case YAML_MAPPING_START_EVENT:
                let data = event.data.mapping_start
                try builder.beginCollection(mapping: true, tag: Self.tag(data.tag, scalar: false),
                                            anchor: Self.string(data.anchor), at: location)
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                try builder.endCollection()
            default:
                break
            }
        }
    }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        guard let pointer else { return nil }
        return String(cString: pointer)
    }

    /// libyaml hands tags over with handles already expanded (`!!str` → `tag:yaml.org,2002:str`).
    /// Local tags lose their `!` (`!reset` → `reset`); the non-specific `!` forces a string.
    private static func tag(_ pointer: UnsafeMutablePointer<yaml_char_t>?, scalar: Bool) -> String? {
        guard let tag = string(pointer) else { return nil }
        if tag == "!" { return scalar ? "tag:yaml.org,2002:str" : nil }
        if tag.utf8.first == UInt8(ascii: "!") { return String(tag.dropFirst()) }
        return tag
    }

    private static func style(_ style: yaml_scalar_style_t) -> ScalarStyle {
        switch style {
        case YAML_SINGLE_QUOTED_SCALAR_STYLE: return .singleQuoted
        case YAML_DOUBLE_QUOTED_SCALAR_STYLE: return .doubleQuoted
        case YAML_LITERAL_SCALAR_STYLE: return .literal
        case YAML_FOLDED_SCALAR_STYLE: return .folded
        default: return .plain
        }
    }

    /// libyaml's own words and mark, as one line: "did not find expected key (while parsing a
    /// block mapping started at 3:1)".
    private func libyamlError() -> YAMLError {
        let state = parser.pointee
        let problem = state.problem.map { String(cString: $0) } ?? "unknown libyaml error"
        if state.error == YAML_MEMORY_ERROR {
            return YAMLError(.syntax, at: .synthetic(file), "libyaml ran out of memory")
        }
        if state.error == YAML_READER_ERROR {
            let offset = min(Int(state.problem_offset), buffer.count)
            return YAMLError(.syntax, at: UTF8Validation.location(ofOffset: offset, in: buffer, file: file),
                             problem)
        }
        let mark = state.problem_mark
        var message = problem
        if let context = state.context.map({ String(cString: $0) }) {
            let start = state.context_mark
            message += " (\(context) started at \(start.line + 1):\(start.column + 1))"
        }
        return YAMLError(.syntax, at: builder.location(line: Int(mark.line) + 1, column: Int(mark.column) + 1),
                         message)
    }
}
