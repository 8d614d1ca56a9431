import Foundation
import Testing
@testable import ComposeSpec

/// Cases from go-units' `RAMInBytes` tests and compose-go's `UnitBytes` tests.
@Suite struct ByteSizeTests {
    static let kib: Int64 = 1024
    static let mib = kib * 1024
    static let gib = mib * 1024
    static let tib = gib * 1024
    static let pib = tib * 1024

    @Test("parses integers and 1024-based units", arguments: [
        ("32", 32), ("32b", 32), ("32B", 32), ("0", 0), ("-1", -1), ("-32", -32), ("+5", 5), ("655360", 655_360),
        ("32k", 32 * kib), ("32K", 32 * kib), ("32kb", 32 * kib), ("32Kb", 32 * kib), ("32Kib", 32 * kib), ("32KIB", 32 * kib),
        ("32Mb", 32 * mib), ("512m", 512 * mib), ("1g", gib), ("1GB", gib), ("32Gb", 32 * gib), ("32Tb", 32 * tib),
        ("32Pb", 32 * pib), ("32PB", 32 * pib), ("32P", 32 * pib),
        ("32.3", 32), ("32.3 mb", Int64(32.3 * 1_048_576.0)), ("0.3MB", Int64(0.3 * 1_048_576.0)),
        ("1.5g", 1_610_612_736), ("64 k", 64 * kib), ("1e3k", 1000 * kib),
    ] as [(String, Int64)])
    func parses(text: String, bytes: Int64) throws {
        #expect(try ByteSize(parsing: text).bytes == bytes)
    }

    @Test("rejects what compose rejects", arguments: [
        "", "hello", "invalid", " 32 ", "32m b", "32bm", "32x", "32kbb", "-1k", "1.5.5m", "inf", "0x10", "99999999p",
    ])
    func rejects(text: String) {
        #expect(throws: ComposeValueError(
            "invalid size \"\(text)\" (expected bytes as an integer or with a unit b, k, m, g, t or p, like 512m)")) {
            try ByteSize(parsing: text)
        }
    }

    @Test("encodes as a decimal string, as compose-go does, and decodes integers or strings")
    func codable() throws {
        #expect(String(decoding: try JSONEncoder().encode([ByteSize(bytes: 536_870_912)]), as: UTF8.self) == #"["536870912"]"#)
        let decoded = try JSONDecoder().decode([ByteSize].self, from: Data(#"[655360, "655360", -1, "-1", "1g", "512m"]"#.utf8))
        #expect(decoded.map(\.bytes) == [655_360, 655_360, -1, -1, Self.gib, 512 * Self.mib])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([ByteSize].self, from: Data(#"["invalid"]"#.utf8)) }
    }
}
