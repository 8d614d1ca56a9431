/// A content digest, `algorithm:encoded`, as the OCI image spec defines it.
///
/// Parsed once at the edge: a `Digest` value is always well formed. Only the registered algorithms
/// `sha256` and `sha512` are accepted, because a digest Berth cannot verify is worse than none.
public struct Digest: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    public enum Algorithm: String, Sendable, Hashable, Codable, CaseIterable {
        case sha256
        case sha512

        /// Length of the lowercase hex encoding.
        public var encodedLength: Int {
            switch self {
            case .sha256: 64
            case .sha512: 128
            }
        }
    }

    public let algorithm: Algorithm
    /// Lowercase hex, exactly `algorithm.encodedLength` characters.
    public let encoded: String

    /// Parses `sha256:<64 lowercase hex>` or `sha512:<128 lowercase hex>`.
    public init(parsing text: String) throws(OCISpecError) {
        guard let colon = text.firstIndex(of: ":") else {
            throw OCISpecError(.invalidDigest, input: text, "a digest has the form ALGORITHM:HEX, e.g. sha256:…")
        }
        let name = String(text[..<colon])
        let hex = String(text[text.index(after: colon)...])
        guard let algorithm = Algorithm(rawValue: name) else {
            throw OCISpecError(.unsupportedDigestAlgorithm, input: text,
                               "digest algorithm \"\(name)\" is not supported (use sha256 or sha512)")
        }
        try self.init(algorithm: algorithm, encoded: hex)
    }

    /// Builds a digest from an algorithm and its lowercase hex encoding.
    public init(algorithm: Algorithm, encoded: String) throws(OCISpecError) {
        let isLowerHex = encoded.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
        guard encoded.utf8.count == algorithm.encodedLength, isLowerHex else {
            throw OCISpecError(.invalidDigest, input: "\(algorithm.rawValue):\(encoded)",
                               "a \(algorithm.rawValue) digest is \(algorithm.encodedLength) lowercase hex characters")
        }
        self.algorithm = algorithm
        self.encoded = encoded
    }

    /// Builds a sha256 digest from the 32 raw bytes of a hash.
    public init<Bytes: Sequence>(sha256 bytes: Bytes) throws(OCISpecError) where Bytes.Element == UInt8 {
        try self.init(algorithm: .sha256, encoded: Digest.hex(bytes))
    }

    public var description: String { "\(algorithm.rawValue):\(encoded)" }

    /// The first 12 hex characters, as `docker images` shows image IDs.
    public var shortID: String { String(encoded.prefix(12)) }

    public static func < (lhs: Digest, rhs: Digest) -> Bool { lhs.description < rhs.description }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            try self.init(parsing: text)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    static func hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
