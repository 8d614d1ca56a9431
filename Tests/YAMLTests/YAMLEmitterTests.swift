import Testing
@testable import YAML

@Suite struct YAMLEmitterTests {
    private func emitted(_ yaml: String) throws -> String {
        YAMLEmitter.emit(try parseOne(yaml))
    }

    @Test("block layout as docker compose config prints it")
    func layout() throws {
        let output = try emitted("""
            services: {web: {image: nginx, ports: [{target: 80, published: "8080"}], command: [a, b],
              environment: {A: "1"}, labels: {}, volumes: [], healthcheck: ~}}
            """)
        #expect(output == """
            services:
              web:
                image: nginx
                ports:
                  - target: 80
                    published: "8080"
                command:
                  - a
                  - b
                environment:
                  A: "1"
                labels: {}
                volumes: []
                healthcheck: null

            """)
    }

    @Test("nested sequences and mappings in sequences start on the dash's line")
    func nestedItems() throws {
        let output = try emitted("- [a, b]\n- {x: 1, z: 2}\n- []\n- {}\n")
        #expect(output == """
            - - a
              - b
            - x: 1
              z: 2
            - []
            - {}

            """)
    }

    @Test("scalars at the root are written alone", arguments: [
        ("hello", "hello\n"), ("'8080'", "\"8080\"\n"), ("~", "null\n"), ("42", "42\n"),
    ])
    func rootScalars(yaml: String, expected: String) throws {
        #expect(try emitted(yaml) == expected)
    }

    @Test("strings are quoted exactly when they would read back as something else or not at all", arguments: [
        // (source, how the value prints)
        ("a: nginx", "nginx"), ("a: 'nginx'", "\"nginx\""), ("a: 8080", "8080"), ("a: '8080'", "\"8080\""),
        ("a: 'true'", "\"true\""), ("a: ''", "\"\""), ("a: ': '", "\": \""), ("a: -x", "-x"),
        ("a: '*x'", "\"*x\""), ("a: '&x'", "\"&x\""), ("a: '!x'", "\"!x\""), ("a: '%x'", "\"%x\""),
        ("a: '@x'", "\"@x\""), ("a: '`x'", "\"`x\""), ("a: '{x'", "\"{x\""), ("a: '[x'", "\"[x\""),
        ("a: '#x'", "\"#x\""), ("a: 'x '", "\"x \""), ("a: 'x #y'", "\"x #y\""), ("a: 'yes'", "\"yes\""),
        ("a: 80:80", "80:80"), ("a: 1.2.3", "1.2.3"), ("a: \"tab\\there\"", "\"tab\\there\""),
        ("a: \"bell\\a\"", "\"bell\\u0007\""), ("a: \"quote\\\" and \\\\ back\"", "\"quote\\\" and \\\\ back\""),
        ("a: \"\\u2028\"", "\"\\u2028\""), ("a: x:y", "x:y"), ("a: a#b", "a#b"), ("a: /usr/bin", "/usr/bin"),
        ("a: ünï", "ünï"), ("a: true", "true"), ("a: 1e3", "1e3"), ("a: -7", "-7"), ("a: ~", "null"),
        ("a: !reset", "!reset null"), ("a: !!str 42", "!!str 42"), ("a: !override [x]", "!override\n  - x"),
        ("a: !reset []", "!reset []"),
    ])
    func quoting(yaml: String, value: String) throws {
        #expect(try emitted(yaml) == "a: \(value)\n")
    }

    @Test("a plain-style string is written plain only when it reads back as the same string", arguments: [
        ("nginx", "nginx"), ("-c", "-c"), ("-", "\"-\""), ("- x", "\"- x\""), ("---", "\"---\""),
        ("--- x", "\"--- x\""), ("... x", "\"... x\""), ("?x", "\"?x\""), (":x", "\":x\""),
        ("*x", "\"*x\""), ("&x", "\"&x\""), ("!x", "\"!x\""), ("%x", "\"%x\""), ("@x", "\"@x\""),
        ("`x", "\"`x\""), ("{x", "\"{x\""), ("[x", "\"[x\""), ("]x", "\"]x\""), ("#x", "\"#x\""),
        ("|x", "\"|x\""), (">x", "\">x\""), ("'x", "\"'x\""), ("\"x", "\"\\\"x\""), (",x", "\",x\""),
        ("x ", "\"x \""), (" x", "\" x\""), ("x:", "\"x:\""), ("x: y", "\"x: y\""), ("x #y", "\"x #y\""),
        ("x#y", "x#y"), ("x:y", "x:y"), ("a, b", "a, b"), ("yes", "\"yes\""), ("Off", "\"Off\""),
        ("<<", "\"<<\""), ("1.2.3", "1.2.3"), ("2024-01-02", "\"2024-01-02\""), ("12:30", "\"12:30\""),
        ("2024-1-2T10:00:00Z", "\"2024-1-2T10:00:00Z\""), ("2024-01-02x", "2024-01-02x"), ("-1:30.5", "\"-1:30.5\""),
        ("8.8.8.8", "8.8.8.8"), ("127.0.0.1", "127.0.0.1"), ("02:42:ac:11:65:43", "02:42:ac:11:65:43"),
        ("2001:3984:3989::10", "2001:3984:3989::10"), ("1:60", "1:60"), ("0X1F", "\"0X1F\""), ("0o17x", "0o17x"),
        ("+inf", "\"+inf\""), ("-Infinity", "\"-Infinity\""), ("0x1p-2", "\"0x1p-2\""), ("1m0s", "1m0s"),
        ("1_000", "\"1_000\""), ("0b101", "\"0b101\""), (".env", ".env"), ("tab\tx", "\"tab\\tx\""),
        ("ünï 🚢", "ünï 🚢"), ("nel\u{85}", "\"nel\\u0085\""), ("\u{FEFF}x", "\"\\uFEFFx\""),
    ])
    func plainSafety(text: String, expected: String) {
        let tree = YAMLNode.sequence([.scalar(text, at: .synthetic("t"))], at: .synthetic("t"))
        #expect(YAMLEmitter.emit(tree) == "- \(expected)\n")
        #expect(YAMLNode.scalar(text, at: .synthetic("t")).resolved == .string(text))
    }

    @Test("multi-line strings become literal block scalars with the right chomping", arguments: [
        ("a: \"x\\ny\"", "a: |-\n  x\n  y\n"),
        ("a: \"x\\ny\\n\"", "a: |\n  x\n  y\n"),
        ("a: \"x\\n\\n\"", "a: |+\n  x\n\n"),
        ("a: \"x\\n\\ny\"", "a: |-\n  x\n\n  y\n"),
        ("- \"x\\n  y\"", "- |-\n  x\n    y\n"),
        ("a: \" x\\ny\"", "a: \" x\\ny\"\n"),
        ("a: \"x\\r\\ny\"", "a: \"x\\r\\ny\"\n"),
    ])
    func literalBlocks(yaml: String, expected: String) throws {
        #expect(try emitted(yaml) == expected)
    }

    @Test("keys that need quotes get them, and collection keys use the explicit form")
    func keys() throws {
        #expect(try emitted("'8080': a\n'x: y': b\n? [1, 2]\n: c\n") == """
            "8080": a
            "x: y": b
            ? - 1
              - 2
            : c

            """)
    }

    static let trickyStrings: [String] = [
        "", " ", "  lead", "trail  ", "8080", "0x1F", "0o17", "1_000", "1e3", ".5", "+1", "-1", "-",
        "--- x", "... x", "...", "true", "False", "yes", "No", "on", "OFF", "y", "n", "null", "~", "Null",
        ".inf", "-.Inf", ".nan", "<<", "=", ":", ": ", "a: b", "a:b", "a :b", "a #b", "a#b", "#", "# c",
        "- item", "-item", "? q", "?q", "[x]", "{x}", "x]", "x}", "a, b", "*alias", "&anchor", "!tag",
        "|", ">", "'", "\"", "''", "%TAG", "@at", "`tick", "tab\there", "\ttab", "new\nline", "\n",
        "\n\n", "x\n", "x\n\n\n", "\nx", " \nx", "x\n \ny", "crlf\r\n", "bell\u{07}", "nul\u{00}",
        "del\u{7F}", "nel\u{85}", "ls\u{2028}", "ps\u{2029}", "bom\u{FEFF}", "emoji 🚢", "日本語",
        "é", "back\\slash", "quote\"d", "single'q", "2024-01-02", "12:30", "1.2.3", "0755", "0",
        "-0", "+.inf", "nan", "~x", "x~", "a\u{0B}b", String(repeating: "long ", count: 300),
    ]

    @Test("emitted strings parse back to the same strings", arguments: trickyStrings)
    func stringRoundTrip(text: String) throws {
        let tree = YAMLNode.mapping([
            YAMLPair(key: .scalar("value", at: .synthetic("t")), value: .scalar(text, style: .doubleQuoted, at: .synthetic("t"))),
            YAMLPair(key: .scalar(text, style: .doubleQuoted, at: .synthetic("t")), value: .scalar("key", at: .synthetic("t"))),
            YAMLPair(key: .scalar("list", at: .synthetic("t")),
                     value: .sequence([.scalar(text, style: .singleQuoted, at: .synthetic("t"))], at: .synthetic("t"))),
        ], at: .synthetic("t"))
        let output = YAMLEmitter.emit(tree)
        let reparsed = try #require(try YAMLParser.parse(output, file: "out.yaml"), "\(output)")
        #expect(reparsed.meaning == tree.meaning, "\(output)")
    }

    @Test("plain scalars keep their meaning, whatever the text", arguments: trickyStrings)
    func plainRoundTrip(text: String) throws {
        let tree = YAMLNode.sequence([.scalar(text, at: .synthetic("t"))], at: .synthetic("t"))
        let output = YAMLEmitter.emit(tree)
        let reparsed = try #require(try YAMLParser.parse(output, file: "out.yaml"), "\(output)")
        #expect(reparsed.meaning == tree.meaning, "\(output)")
    }

    @Test("a whole compose-like document round-trips")
    func documentRoundTrip() throws {
        let source = """
            x-base: &base
              restart: unless-stopped
              environment: {TZ: UTC, EMPTY: "", N: "1"}
            services:
              web:
                <<: *base
                image: "nginx:1.25"
                command: ["sh", "-c", "echo 'hi' && sleep 1"]
                ports: ["8080:80", {target: 443, published: 8443, protocol: tcp}]
                healthcheck:
                  test: [CMD, curl, -f, "http://localhost/"]
                  interval: 10s
                labels: !override {a: b}
                configs: !reset []
                entrypoint: |
                  #!/bin/sh
                  exec "$@"
                deploy: {resources: {limits: {cpus: 0.5, memory: 512M}}}
              db: {image: postgres, volumes: [], secrets: {}, x: null, y: [[1, 2], [], [{}]]}
            ? [complex, key]
            : value
            """
        let tree = try parseOne(source)
        let output = YAMLEmitter.emit(tree)
        let reparsed = try #require(try YAMLParser.parse(output, file: "out.yaml"))
        #expect(reparsed.meaning == tree.meaning, "\(output)")
        #expect(YAMLEmitter.emit(reparsed) == output, "emitting is stable")
    }

    @Test("tagged collections round-trip at every position")
    func taggedCollections() throws {
        let tree = try parseOne("a: !override {x: [1]}\nb: [!reset {y: 2}, !override [3]]\n")
        let output = YAMLEmitter.emit(tree)
        let reparsed = try #require(try YAMLParser.parse(output, file: "out.yaml"), "\(output)")
        #expect(reparsed.meaning == tree.meaning, "\(output)")
        let root = try #require(try YAMLParser.parse(YAMLEmitter.emit(try parseOne("!override {x: 1}")), file: "o"))
        #expect(root.tag == "override" && root["x"]?.scalarText == "1")
    }
}
