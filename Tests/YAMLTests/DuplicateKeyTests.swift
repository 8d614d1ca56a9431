import Testing
@testable import YAML

@Suite struct DuplicateKeyTests {
    @Test("a key written twice fails at the second, naming the first")
    func duplicate() {
        let error = parseError("services:\n  web: {}\n  db: {}\n  web: {}\n")
        #expect(error?.code == .duplicateKey)
        #expect(error?.location == SourceLocation(file: "t.yaml", line: 4, column: 3))
        #expect(error?.message == "duplicate key \"web\" (first defined at t.yaml:2:3)")
    }

    @Test("duplicates are found in large mappings too")
    func largeMapping() {
        let lines = (0..<100).map { "k\($0): \($0)" } + ["k42: again"]
        let error = parseError(lines.joined(separator: "\n"))
        #expect(error?.code == .duplicateKey)
        #expect(error?.location.line == 101)
        #expect(error?.message == "duplicate key \"k42\" (first defined at t.yaml:43:1)")
    }

    @Test("keys are compared by their text, whatever their quoting", arguments: [
        "a: 1\n'a': 2\n", "\"1\": x\n1: y\n", "{a: 1, a: 2}",
    ])
    func quotingDoesNotMatter(text: String) {
        #expect(parseError(text)?.code == .duplicateKey)
    }

    @Test("a key supplied by << and then written explicitly is not a duplicate")
    func mergeOverride() throws {
        let root = try parseOne("b: &b {x: 1}\nm:\n  <<: *b\n  x: 2\n")
        #expect(root["m"]?["x"]?.scalarText == "2")
    }

    @Test("a key written twice next to a merge key is still a duplicate")
    func duplicateWithMerge() {
        let error = parseError("b: &b {x: 1}\nm:\n  <<: *b\n  y: 2\n  y: 3\n")
        #expect(error?.code == .duplicateKey)
        #expect(error?.location.line == 5)
    }

    @Test("the same key in different mappings is fine")
    func differentMappings() {
        #expect(parseError("a: {x: 1}\nb: {x: 2}\n") == nil)
    }
}
