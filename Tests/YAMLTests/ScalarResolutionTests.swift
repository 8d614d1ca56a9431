import Testing
@testable import YAML

@Suite struct ScalarResolutionTests {
    @Test("plain scalars resolve by the YAML 1.2 core schema", arguments: [
        ("", ResolvedScalar.null), ("~", .null), ("null", .null),
        ("true", .bool(true)), ("False", .bool(false)), ("yes", .string("yes")),
        ("42", .int(42)), ("-7", .int(-7)), ("0x1F", .int(31)), ("0o17", .int(15)),
        ("1.5", .double(1.5)), ("1e3", .double(1000)), ("80:80", .string("80:80")),
        ("1.2.3", .string("1.2.3")), (".", .string(".")),
    ])
    func resolvesPlain(text: String, expected: ResolvedScalar) {
        #expect(ResolvedScalar.resolvePlain(text) == expected)
    }

    @Test("quoted scalars are always strings")
    func quotedAreStrings() {
        let node = YAMLNode.scalar("42", style: .doubleQuoted, at: .synthetic("t"))
        #expect(node.resolved == .string("42"))
    }
}
