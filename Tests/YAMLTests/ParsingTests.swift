import Testing
@testable import YAML

@Suite struct ParsingTests {
    @Test("nodes carry 1-based line and column of where they were written")
    func marks() throws {
        let root = try parseOne("""
            services:
              web:
                image: nginx
                ports: ["80:80", 443]
            """, file: "compose.yaml")
        #expect(root.location == SourceLocation(file: "compose.yaml", line: 1, column: 1))
        let web = try #require(root["services"]?["web"])
        #expect(web.location.line == 3 && web.location.column == 5)
        let image = try #require(web["image"])
        #expect(image.location == SourceLocation(file: "compose.yaml", line: 3, column: 12))
        let key = try #require(web.mappingPairs?.first?.key)
        #expect(key.location == SourceLocation(file: "compose.yaml", line: 3, column: 5))
        let ports = try #require(web["ports"]?.sequenceItems)
        #expect(ports.map(\.location.column) == [13, 22])
        #expect(ports.map(\.location.line) == [4, 4])
    }

    @Test("scalar styles are kept and quoted scalars stay strings", arguments: [
        ("a: 8080", ScalarStyle.plain, ResolvedScalar.int(8080)),
        ("a: '8080'", .singleQuoted, .string("8080")),
        ("a: \"true\"", .doubleQuoted, .string("true")),
        ("a: |\n  x\n", .literal, .string("x\n")),
        ("a: >-\n  x\n  y\n", .folded, .string("x y")),
        ("a:", .plain, .null),
        ("a: 1.5", .plain, .double(1.5)),
    ])
    func styles(text: String, style: ScalarStyle, resolved: ResolvedScalar) throws {
        let value = try #require(try parseOne(text)["a"])
        guard case .scalar(_, let actual) = value.kind else {
            Issue.record("expected a scalar, got \(value.kind)")
            return
        }
        #expect(actual == style)
        #expect(value.resolved == resolved)
    }

    @Test("mappings keep their keys in source order")
    func keyOrder() throws {
        let root = try parseOne("z: 1\na: 2\nm: 3\n")
        #expect(root.keys == ["z", "a", "m"])
    }

    @Test("an empty stream has no documents and parse gives nil", arguments: ["", "\n\n", "# only a comment\n"])
    func emptyStream(text: String) throws {
        #expect(try YAMLParser.parseDocuments(text, file: "t.yaml").isEmpty)
        #expect(try YAMLParser.parse(text, file: "t.yaml") == nil)
    }

    @Test("a stream of several documents parses to each of them")
    func multipleDocuments() throws {
        let documents = try YAMLParser.parseDocuments("a: 1\n---\nb: 2\n---\n- c\n", file: "t.yaml")
        #expect(documents.count == 3)
        #expect(documents.map(\.keys) == [["a"], ["b"], []])
        #expect(documents[2].sequenceItems?.first?.scalarText == "c")
    }

    @Test("parse rejects a second document, naming where it starts")
    func secondDocument() {
        do {
            _ = try YAMLParser.parse("a: 1\n---\nb: 2\n", file: "t.yaml")
            Issue.record("a two-document stream was accepted")
        } catch {
            #expect(error.code == .syntax)
            #expect(error.location == SourceLocation(file: "t.yaml", line: 2, column: 1))
        }
    }

    @Test("libyaml's syntax errors come back as one line with their mark", arguments: [
        ("a: [1, 2\n", 2),
        ("a: b\n  c: d\n", 2),
        ("a: 'unterminated\n", 2),
        ("key: value\n\tbad: tab\n", 2),
    ])
    func syntaxErrors(text: String, line: Int) {
        let error = parseError(text)
        #expect(error?.code == .syntax)
        #expect(error?.location.line == line)
        #expect(error?.message.contains("\n") == false)
        #expect(error?.message.isEmpty == false)
    }

    @Test("the String and byte overloads agree")
    func overloads() throws {
        let text = "a: [x, {b: c}]\n"
        let fromString = try YAMLParser.parse(text, file: "t.yaml")
        let fromBytes = try YAMLParser.parse(Array(text.utf8), file: "t.yaml")
        #expect(fromString == fromBytes)
        #expect(fromString != nil)
    }

    @Test("a UTF-8 byte-order mark is skipped and does not shift columns")
    func byteOrderMark() throws {
        let root = try YAMLParser.parse([0xEF, 0xBB, 0xBF] + Array("a: 1\n".utf8), file: "t.yaml")
        #expect(root?["a"]?.scalarText == "1")
        #expect(root?.location == SourceLocation(file: "t.yaml", line: 1, column: 1))
        #expect(try YAMLParser.parse([0xEF, 0xBB, 0xBF], file: "t.yaml") == nil)
    }

    @Test("CRLF line endings give the same tree and lines")
    func crlf() throws {
        let root = try parseOne("a: 1\r\nb:\r\n  - x\r\n")
        #expect(root.keys == ["a", "b"])
        #expect(root["b"]?.sequenceItems?.first?.location == SourceLocation(file: "t.yaml", line: 3, column: 5))
    }

    @Test("non-ASCII text survives and columns count characters, not bytes")
    func unicode() throws {
        let root = try parseOne("é: ünïcødé\nx: 日本語\n")
        #expect(root["é"]?.scalarText == "ünïcødé")
        #expect(root["é"]?.location.column == 4)
        #expect(root["x"]?.scalarText == "日本語")
    }
}
