import Foundation
import Testing

/// Hostile or broken files: each gets one located line on stderr, a non-zero exit, and no
/// crash, within a second.
@Suite struct BadInputTests {
    static func nested(_ depth: Int) -> Data {
        Data((String(repeating: "[", count: depth) + String(repeating: "]", count: depth)).utf8)
    }

    static func aliasBomb() -> Data {
        var text = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        let names = ["b", "c", "d", "e", "f", "g", "h", "i"]
        var previous = "a"
        for name in names {
            text += "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 9).joined(separator: ",") + "]\n"
            previous = name
        }
        return Data(("services:\n  x:\n    image: y\nx-bomb:\n  " + text.replacingOccurrences(of: "\n", with: "\n  ")).utf8)
    }

    static let cases: [(String, @Sendable () -> Data)] = [
        ("empty file", { Data() }),
        ("a scalar at the top", { Data("hello\n".utf8) }),
        ("binary garbage", { Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 2654435761 >> 7) }) }),
        ("invalid UTF-8", { Data([0x73, 0x65, 0x72, 0x3a, 0x20, 0xff, 0xfe, 0x0a]) }),
        ("10,000 levels of nesting", { nested(10_000) }),
        ("an alias bomb", { aliasBomb() }),
        ("a 50 MB file", { Data(repeating: UInt8(ascii: "#"), count: 50 << 20) }),
    ]

    @Test("bad input fails fast with one located line", arguments: cases.map(\.0))
    func failsCleanly(_ name: String) throws {
        let make = try #require(Self.cases.first { $0.0 == name }?.1)
        let directory = try temporaryDirectory(["compose.yaml": make()])
        let result = try BerthBinary.run(["config"], in: directory)
        #expect(result.status != 0)
        #expect(result.status < 128, "killed by a signal: \(result.status)")
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(result.stderr.hasPrefix("error: compose.yaml"), "\(result.stderr)")
        #expect(result.seconds < 1.0, "took \(result.seconds) s")
    }
}
