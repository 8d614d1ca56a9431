import Testing
@testable import YAML

@Suite struct AnchorAndMergeTests {
    @Test("an alias is a copy of the anchored node, located at the alias; its children keep theirs")
    func aliasCopy() throws {
        let root = try parseOne("""
            base: &b
              image: nginx
            copy: *b
            """)
        let base = try #require(root["base"])
        let copy = try #require(root["copy"])
        #expect(copy.meaning == base.meaning)
        #expect(copy.location == SourceLocation(file: "t.yaml", line: 3, column: 7))
        #expect(copy["image"]?.location == base["image"]?.location)
        #expect(copy["image"]?.location.line == 2)
    }

    @Test("a redefined anchor refers to its latest definition")
    func redefinedAnchor() throws {
        let root = try parseOne("a: &x 1\nb: *x\nc: &x 2\nd: *x\n")
        #expect(root["b"]?.scalarText == "1")
        #expect(root["d"]?.scalarText == "2")
    }

    @Test("an alias to an undefined anchor fails with its location")
    func undefinedAlias() {
        let error = parseError("a: 1\nb: *nope\n")
        #expect(error?.code == .undefinedAlias)
        #expect(error?.location == SourceLocation(file: "t.yaml", line: 2, column: 4))
        #expect(error?.message.contains("nope") == true)
    }

    @Test("an alias to its own enclosing node fails instead of looping")
    func recursiveAlias() {
        #expect(parseError("a: &a [1, *a]\n")?.code == .undefinedAlias)
    }

    @Test("anchors do not cross document boundaries")
    func anchorsPerDocument() {
        let error = parseError("a: &x 1\n---\nb: *x\n")
        #expect(error?.code == .undefinedAlias)
    }

    @Test("merge keys: written keys win, earlier merged maps win, merged pairs sit where << stood",
          arguments: [
        // (document, keys of `m` in order, value of each)
        ("b: &b {x: 1, y: 2}\nm:\n  a: 0\n  <<: *b\n  z: 3\n", ["a", "x", "y", "z"], ["0", "1", "2", "3"]),
        ("b: &b {x: 1, y: 2}\nm:\n  <<: *b\n  x: 9\n", ["y", "x"], ["2", "9"]),
        ("p: &p {x: 1}\nq: &q {x: 2, y: 2}\nm:\n  <<: [*p, *q]\n", ["x", "y"], ["1", "2"]),
        ("m:\n  <<: {k: v}\n  j: w\n", ["k", "j"], ["v", "w"]),
        ("m:\n  '<<': {k: v}\n", ["<<"], ["{k: v}"]),
    ])
    func mergeKeys(document: String, keys: [String], values: [String]) throws {
        let merged = try #require(try parseOne(document)["m"])
        #expect(merged.keys == keys)
        let rendered = merged.mappingPairs?.map { pair in
            pair.value.scalarText ?? "{" + (pair.value.mappingPairs?.map { "\($0.key.scalarText ?? ""): \($0.value.scalarText ?? "")" }.joined(separator: ", ") ?? "") + "}"
        }
        #expect(rendered == values)
    }

    @Test("merged values keep the location where they were written")
    func mergedLocations() throws {
        let root = try parseOne("base: &b\n  x: 1\nm:\n  <<: *b\n")
        #expect(root["m"]?["x"]?.location == SourceLocation(file: "t.yaml", line: 2, column: 6))
    }

    @Test("a merge key whose value is not a mapping or a list of them fails", arguments: [
        ("m:\n  <<: 1\n", 2, 7),
        ("m:\n  <<: [{a: 1}, 2]\n", 2, 7),
        ("s: &s [1]\nm:\n  <<: *s\n", 3, 7),
    ])
    func invalidMerge(text: String, line: Int, column: Int) {
        let error = parseError(text)
        #expect(error?.code == .invalidMergeKey)
        #expect(error?.location == SourceLocation(file: "t.yaml", line: line, column: column))
    }

    @Test("an invalid item of a merge list is named with its place")
    func invalidMergeItem() {
        let error = parseError("m:\n  <<: [{a: 1}, 2]\n")
        #expect(error?.message.hasSuffix("item 2 of the list is an integer (at t.yaml:2:16)") == true)
    }

    @Test("merge keys nest: a merged map may itself have been built with <<")
    func nestedMerge() throws {
        let root = try parseOne("""
            a: &a {x: 1}
            b: &b
              <<: *a
              y: 2
            c:
              <<: *b
              z: 3
            """)
        #expect(root["c"]?.keys == ["x", "y", "z"])
    }
}
