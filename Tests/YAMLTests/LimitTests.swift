import Testing
@testable import YAML

/// Hostile inputs must fail with the right code, fast (each well under a second even in a debug
/// build), without exhausting the stack or memory.
@Suite struct LimitTests {
    /// Runs `parse` and returns its error and how long it took.
    private func timedError(_ bytes: [UInt8], limits: YAMLLimits = .default) -> (YAMLError?, Duration) {
        let clock = ContinuousClock()
        var error: YAMLError?
        let elapsed = clock.measure { error = parseError(bytes, limits: limits) }
        return (error, elapsed)
    }

    static let billionLaughs: String = {
        var lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"]
        for level in 1..<names.count {
            let previous = "*" + names[level - 1]
            lines.append("\(names[level]): &\(names[level]) [" + Array(repeating: previous, count: 10).joined(separator: ", ") + "]")
        }
        return lines.joined(separator: "\n") + "\n"
    }()

    @Test("the billion laughs document fails with aliasExpansion in under a second")
    func billionLaughs() {
        let (error, elapsed) = timedError(Array(Self.billionLaughs.utf8))
        #expect(error?.code == .aliasExpansion)
        #expect(elapsed < .seconds(1))
    }

    @Test("alias expansion counts the expanded size against a small limit")
    func expansionLimit() {
        let text = "a: &a [1, 2, 3, 4]\nb: [*a, *a, *a]\n"   // 1 + 5 + 2 + 1 + 3·5 = 24 nodes
        #expect(parseError(text, limits: YAMLLimits(maxBytes: 1 << 20, maxDepth: 10, maxNodes: 30)) == nil)
        #expect(parseError(text, limits: YAMLLimits(maxBytes: 1 << 20, maxDepth: 10, maxNodes: 20))?.code
                == .aliasExpansion)
    }

    @Test("10,000 levels of nesting fail with tooDeep in under a second", arguments: [
        ("flow sequences", String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)),
        ("flow mappings", String(repeating: "{a: ", count: 10_000) + "1" + String(repeating: "}", count: 10_000)),
        ("block sequences", String(repeating: "- ", count: 10_000) + "x\n"),
    ])
    func deepNesting(shape: String, text: String) {
        let (error, elapsed) = timedError(Array(text.utf8))
        #expect(error?.code == .tooDeep, "\(shape)")
        #expect(error?.location.line == 1)
        #expect(elapsed < .seconds(1), "\(shape)")
    }

    @Test("nesting up to the depth limit is accepted")
    func depthAtLimit() {
        let text = String(repeating: "[", count: 50) + String(repeating: "]", count: 50)
        let limits = YAMLLimits(maxBytes: 1 << 20, maxDepth: 50, maxNodes: 1000)
        #expect(parseError(text, limits: limits) == nil)
        #expect(parseError("[" + text + "]", limits: limits)?.code == .tooDeep)
    }

    @Test("an alias that would nest its anchored node beyond the depth limit fails with tooDeep")
    func deepAlias() {
        let limits = YAMLLimits(maxBytes: 1 << 20, maxDepth: 6, maxNodes: 1000)
        let text = "a: &a [[[1]]]\nb: [[*a]]\nc: [[[[*a]]]]\n"
        let error = parseError(text, limits: limits)
        #expect(error?.code == .tooDeep)
        #expect(error?.location == SourceLocation(file: "t.yaml", line: 3, column: 8))
    }

    @Test("a 50 MB input fails with tooLarge before parsing")
    func tooLarge() {
        let bytes = [UInt8](repeating: UInt8(ascii: "a"), count: 50 << 20)
        let (error, elapsed) = timedError(bytes)
        #expect(error?.code == .tooLarge)
        #expect(elapsed < .seconds(1))
    }

    @Test("binary garbage fails with invalidUTF8 at the first bad byte")
    func binaryGarbage() {
        // A fixed pseudo-random sequence: reproducible, and certain to contain non-UTF-8 bytes.
        var state: UInt32 = 0x2545F491
        let bytes: [UInt8] = (0..<65_536).map { _ in
            state ^= state << 13; state ^= state >> 17; state ^= state << 5
            return UInt8(truncatingIfNeeded: state)
        }
        let (error, elapsed) = timedError(bytes)
        #expect(error?.code == .invalidUTF8)
        #expect(elapsed < .seconds(1))
    }

    @Test("invalid UTF-8 is reported at its line and column", arguments: [
        ([0x61, 0x3A, 0x20, 0xFF], 1, 4),                              // a: \xFF
        ([0x61, 0x3A, 0x0A, 0x62, 0x3A, 0x20, 0xC3, 0x28], 2, 4),      // truncated 2-byte sequence
        ([0x61, 0x3A, 0x20, 0xC0, 0xAF], 1, 4),                        // overlong "/"
        ([0x61, 0x3A, 0x20, 0xED, 0xA0, 0x80], 1, 4),                  // UTF-16 surrogate
        ([0x61, 0x3A, 0x20, 0xC3, 0xA9, 0xF4, 0x90, 0x80, 0x80], 1, 5), // é, then above U+10FFFF
        ([0x61, 0x3A, 0x20, 0xE2, 0x82], 1, 4),                        // cut off at the end
        ([0xEF, 0xBB, 0xBF, 0x61, 0x3A, 0x20, 0xFF], 1, 4),            // after a byte-order mark
    ] as [([UInt8], Int, Int)])
    func invalidUTF8(bytes: [UInt8], line: Int, column: Int) {
        let error = parseError(bytes)
        #expect(error?.code == .invalidUTF8)
        #expect(error?.location == SourceLocation(file: "t.yaml", line: line, column: column))
    }

    @Test("control characters in valid UTF-8 are a syntax error with a location")
    func controlCharacters() {
        let error = parseError([0x61, 0x3A, 0x20, 0x62, 0x00, 0x63])
        #expect(error?.code == .syntax)
        #expect(error?.location.line == 1)
    }

    @Test("empty input is an empty stream, not an error")
    func emptyInput() throws {
        #expect(try YAMLParser.parseDocuments([], file: "t.yaml").isEmpty)
        #expect(try YAMLParser.parse([], file: "t.yaml") == nil)
    }
}
