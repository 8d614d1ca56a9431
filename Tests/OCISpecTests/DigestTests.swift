import Foundation
import Testing
@testable import OCISpec

@Suite("Digests")
struct DigestTests {
    static let zeros64 = String(repeating: "0", count: 64)
    static let wellFormed: [String] = [
        "sha256:\(zeros64)",
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "sha512:\(String(repeating: "f", count: 128))",
    ]
    static let malformed: [(String, OCISpecError.Code)] = [
        ("sha256", .invalidDigest),
        ("sha256:", .invalidDigest),
        ("sha256:\(zeros64.dropLast())", .invalidDigest),
        ("sha256:\(zeros64.uppercased().replacingOccurrences(of: "0", with: "A"))", .invalidDigest),
        ("sha256:\(zeros64.replacingOccurrences(of: "0", with: "g"))", .invalidDigest),
        ("md5:\(zeros64.prefix(32))", .unsupportedDigestAlgorithm),
        ("SHA256:\(zeros64)", .unsupportedDigestAlgorithm),
    ]

    @Test("well-formed digests parse", arguments: wellFormed)
    func parses(text: String) throws {
        let digest = try Digest(parsing: text)
        #expect(digest.description == text)
    }

    @Test("malformed digests are refused with the right code", arguments: malformed)
    func refuses(text: String, code: OCISpecError.Code) {
        let error = #expect(throws: OCISpecError.self) { try Digest(parsing: text) }
        #expect(error?.code == code)
    }

    @Test("raw hash bytes become lowercase hex")
    func fromBytes() throws {
        let digest = try Digest(sha256: [UInt8](repeating: 0xab, count: 31) + [0x0f])
        #expect(digest.encoded == String(repeating: "ab", count: 31) + "0f")
        #expect(digest.shortID == "abababababab")
    }

    @Test("a JSON digest that is malformed fails decoding")
    func decoding() {
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([Digest].self, from: Data(#"["sha256:xyz"]"#.utf8))
        }
    }
}
