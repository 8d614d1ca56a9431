import Testing
@testable import YAML

@Suite struct YAMLNodeEncoderTests {
    struct Port: Codable {
        var target: Int
        var published: String?
        var proto: String?
    }

    struct Service: Codable {
        var image: String
        var command: [String]
        var ports: [Port]
        var environment: [String: String]
        var readOnly: Bool
        var cpus: Double
        var healthcheck: String?
    }

    private let service = Service(
        image: "nginx:1.25", command: ["sh", "-c", "true"],
        ports: [Port(target: 80, published: "8080", proto: nil)],
        environment: ["ZED": "last", "ALPHA": "1", "MIDDLE": "yes"],
        readOnly: true, cpus: 0.5, healthcheck: nil)

    @Test("keys come out in declaration order, nils are omitted, dictionaries are sorted")
    func structure() throws {
        let node = try YAMLNodeEncoder().encode(service)
        #expect(node.keys == ["image", "command", "ports", "environment", "readOnly", "cpus"])
        #expect(node["environment"]?.keys == ["ALPHA", "MIDDLE", "ZED"])
        #expect(node["ports"]?.sequenceItems?.first?.keys == ["target", "published"])
        #expect(node.location == .synthetic("encoded"))
    }

    @Test("the encoded tree prints as compose config YAML")
    func emitsYAML() throws {
        let output = YAMLEmitter.emit(try YAMLNodeEncoder().encode(service))
        #expect(output == """
            image: nginx:1.25
            command:
              - sh
              - -c
              - "true"
            ports:
              - target: 80
                published: "8080"
            environment:
              ALPHA: "1"
              MIDDLE: "yes"
              ZED: last
            readOnly: true
            cpus: 0.5

            """)
    }

    @Test("Swift strings always resolve to strings, numbers and booleans to their types", arguments: [
        "8080", "true", "", "null", "~", "1e3", "0x1F", "yes", "nginx", "a: b", "-x", " lead", "x\ny",
    ])
    func stringsStayStrings(text: String) throws {
        let node = try YAMLNodeEncoder().encode(text)
        #expect(node.resolved == .string(text))
        #expect(JSONEmitter.emit(node, pretty: false) == JSONEmitter.emit(.scalar(text, style: .doubleQuoted, at: .synthetic("x")), pretty: false))
    }

    @Test("strings that read back unchanged stay plain")
    func plainStrings() throws {
        #expect(try YAMLNodeEncoder().encode("nginx").kind == .scalar("nginx", .plain))
        #expect(try YAMLNodeEncoder().encode("8080").kind == .scalar("8080", .doubleQuoted))
    }

    @Test("numbers and booleans are plain scalars with their values", arguments: [
        (try? YAMLNodeEncoder().encode(42), ResolvedScalar.int(42)),
        (try? YAMLNodeEncoder().encode(-7 as Int8), .int(-7)),
        (try? YAMLNodeEncoder().encode(UInt16(9)), .int(9)),
        (try? YAMLNodeEncoder().encode(0.5), .double(0.5)),
        (try? YAMLNodeEncoder().encode(Float(1.5)), .double(1.5)),
        (try? YAMLNodeEncoder().encode(Double.infinity), .double(.infinity)),
        (try? YAMLNodeEncoder().encode(1e20), .double(1e20)),
        (try? YAMLNodeEncoder().encode(false), .bool(false)),
        (try? YAMLNodeEncoder().encode(String?.none), .null),
    ])
    func primitives(node: YAMLNode?, expected: ResolvedScalar) {
        #expect(node?.resolved == expected)
    }

    @Test("encoding is deterministic across runs with many dictionary keys")
    func deterministic() throws {
        let dictionary = Dictionary(uniqueKeysWithValues: (0..<200).map { ("key\($0)", $0) })
        let first = YAMLEmitter.emit(try YAMLNodeEncoder().encode(dictionary))
        let copy = Dictionary(uniqueKeysWithValues: dictionary.reversed())
        #expect(YAMLEmitter.emit(try YAMLNodeEncoder().encode(copy)) == first)
        let keys = try YAMLNodeEncoder().encode(dictionary).keys
        #expect(keys == keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
    }

    struct Custom: Encodable {
        enum CodingKeys: String, CodingKey { case a, b, nested, list, small, unsigned, flag }
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(1, forKey: .b)
            try container.encodeNil(forKey: .a)
            var nested = container.nestedContainer(keyedBy: CodingKeys.self, forKey: .nested)
            try nested.encode("x", forKey: .a)
            var list = container.nestedUnkeyedContainer(forKey: .list)
            try list.encode(true)
            try list.encodeNil()
            var inner = list.nestedUnkeyedContainer()
            try inner.encode("y")
            try container.encode(2, forKey: .b)   // re-encoding a key replaces it in place
            try container.encode(Int8(-3), forKey: .small)
            try container.encode(UInt32(7), forKey: .unsigned)
            try container.encodeIfPresent(Bool?.none, forKey: .flag)
        }
    }

    @Test("custom encode(to:) with nested containers, explicit nulls and replaced keys")
    func custom() throws {
        let node = try YAMLNodeEncoder().encode(Custom())
        #expect(JSONEmitter.emit(node, pretty: false) == #"{"b":2,"a":null,"nested":{"a":"x"},"list":[true,null,["y"]],"small":-3,"unsigned":7}"#)
    }

    enum Mode: String, Codable { case host, bridge }

    @Test("enums with raw values, optionals and nested dictionaries encode through their Codable")
    func enumsAndNesting() throws {
        let value: [String: [String: Mode?]] = ["b": ["z": .host, "y": nil], "a": [:]]
        let node = try YAMLNodeEncoder().encode(value)
        #expect(JSONEmitter.emit(node, pretty: false) == #"{"a":{},"b":{"y":null,"z":"host"}}"#)
    }

    struct Contextual: Encodable {
        static let key = CodingUserInfoKey(rawValue: "berth.test")!
        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(encoder.userInfo[Self.key] as? String ?? "missing")
        }
    }

    @Test("user info reaches nested values")
    func userInfo() throws {
        var encoder = YAMLNodeEncoder()
        encoder.userInfo[Contextual.key] = "present"
        let node = try encoder.encode(["a": [Contextual()]])
        #expect(node["a"]?.sequenceItems?.first?.scalarText == "present")
    }

    @Test("the encoded YAML parses back to the same meaning")
    func roundTrip() throws {
        let node = try YAMLNodeEncoder().encode(service)
        let reparsed = try #require(try YAMLParser.parse(YAMLEmitter.emit(node), file: "out.yaml"))
        #expect(reparsed.meaning == node.meaning)
    }
}
