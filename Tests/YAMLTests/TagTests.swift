import Testing
@testable import YAML

@Suite struct TagTests {
    @Test("tags are kept: compose's local tags without their !, others in full", arguments: [
        ("a: !reset []", "reset"),
        ("a: !override {x: 1}", "override"),
        ("a: !reset", "reset"),
        ("a: !!str 42", "tag:yaml.org,2002:str"),
        ("a: !!int '7'", "tag:yaml.org,2002:int"),
        ("a: !<tag:example.com,2024:thing> x", "tag:example.com,2024:thing"),
        ("%TAG !e! tag:example.com,2024:\n---\na: !e!widget x", "tag:example.com,2024:widget"),
        ("a: ! 42", "tag:yaml.org,2002:str"),
    ])
    func tags(text: String, tag: String) throws {
        #expect(try parseOne(text)["a"]?.tag == tag)
    }

    @Test("untagged nodes have no tag")
    func untagged() throws {
        let root = try parseOne("a: 1\nb: [x]\n")
        #expect(root.tag == nil && root["a"]?.tag == nil && root["b"]?.tag == nil)
    }

    @Test("!reset and !override are recognised by the model's helpers")
    func helpers() throws {
        let root = try parseOne("a: !reset null\nb: !override [1]\n")
        #expect(root["a"]?.isReset == true)
        #expect(root["b"]?.isOverride == true)
        #expect(root["b"]?.isReset == false)
    }

    @Test("!!str makes a plain scalar a string")
    func strTag() throws {
        #expect(try parseOne("a: !!str 8080")["a"]?.resolved == .string("8080"))
        #expect(try parseOne("a: ! true")["a"]?.resolved == .string("true"))
    }
}
