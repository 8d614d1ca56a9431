import Testing
@testable import YAML

@Suite struct JSONEmitterTests {
    private func json(_ yaml: String, pretty: Bool = false) throws -> String {
        JSONEmitter.emit(try parseOne(yaml), pretty: pretty)
    }

    @Test("scalars become JSON by their resolved type", arguments: [
        ("8080", "8080"), ("'8080'", "\"8080\""), ("true", "true"), ("\"true\"", "\"true\""),
        ("~", "null"), ("null", "null"), ("1.5", "1.5"), ("1e3", "1000"), ("-0.25", "-0.25"),
        ("0x1F", "31"), ("nginx", "\"nginx\""), ("!!str 42", "\"42\""), (".inf", "\".inf\""),
        ("1e300", "1e+300"),
    ])
    func scalars(yaml: String, expected: String) throws {
        #expect(try json("- \(yaml)") == "[\(expected)]")
    }

    @Test("strings escape quotes, backslashes, control characters and line separators", arguments: [
        ("\"a\\\"b\"", "\"a\\\"b\""), ("'back\\slash'", "\"back\\\\slash\""), ("\"x\\ny\\tz\\r\"", "\"x\\ny\\tz\\r\""),
        ("\"\\x01\\x7f\"", "\"\\u0001\\u007F\""), ("\"\\b\\f\"", "\"\\b\\f\""), ("\"\\u2028\\u2029\"", "\"\\u2028\\u2029\""),
        ("\"é🚢\"", "\"é🚢\""),
    ])
    func escapes(yaml: String, expected: String) throws {
        #expect(try json("- \(yaml)") == "[\(expected)]")
    }

    @Test("compact output keeps key order and writes empty collections as {} and []")
    func compact() throws {
        #expect(try json("z: 1\na: [x, {}]\nm: {}\n") == #"{"z":1,"a":["x",{}],"m":{}}"#)
    }

    @Test("pretty output indents by two spaces like docker compose config --format json")
    func pretty() throws {
        let output = try json("name: demo\nservices:\n  web:\n    ports: [80, \"443\"]\n    labels: {}\n    volumes: []\n",
                              pretty: true)
        #expect(output == """
            {
              "name": "demo",
              "services": {
                "web": {
                  "ports": [
                    80,
                    "443"
                  ],
                  "labels": {},
                  "volumes": []
                }
              }
            }
            """)
    }

    @Test("keys are always strings, even when they read as numbers")
    func keys() throws {
        #expect(try json("80: a\ntrue: b\n") == #"{"80":"a","true":"b"}"#)
    }
}
