/// A size in bytes (`mem_limit`, `shm_size`, `tmpfs.size`…), as compose-go's `UnitBytes`.
///
/// Accepts a plain integer (negative ones too: `-1` means unlimited for some keys) or a number
/// with a 1024-based unit, as go-units' `RAMInBytes` reads it: `b`, `k`/`kb`/`kib`, `m`, `g`, `t`,
/// `p` in any case, optionally after one space, with a decimal part (`1.5g`); the result is
/// truncated to whole bytes.
///
/// Encodes as a string of decimal digits (`"52428800"`): compose-go's `UnitBytes` marshals that
/// way to YAML and JSON, so `docker compose config` prints `memory: "52428800"` and
/// `size: "10000"` (see the full-example golden file). Decoding takes an integer or a string.
public struct ByteSize: Sendable, Hashable, Codable, Comparable {
    public var bytes: Int64

    public init(bytes: Int64) {
        self.bytes = bytes
    }

    public init(parsing text: String) throws(ComposeValueError) {
        if let plain = Self.goInteger(text) {
            self.init(bytes: plain)
            return
        }
        let invalid = ComposeValueError(
            "invalid size \"\(text)\" (expected bytes as an integer or with a unit b, k, m, g, t or p, like 512m)")
        let number: Substring
        var suffix: Substring
        if let space = text.firstIndex(of: " ") {
            number = text[..<space]
            suffix = text[text.index(after: space)...]
        } else {
            guard let last = text.lastIndex(where: { $0 == "." || ($0.isASCII && $0.isNumber) }) else { throw invalid }
            number = text[...last]
            suffix = text[text.index(after: last)...]
        }
        guard let value = Self.goFloat(number), value >= 0 else { throw invalid }

        suffix = Substring(suffix.lowercased())
        var multiplier: Double = 1
        if let unit = suffix.first, unit != "b" {
            guard suffix.count <= 3, let scale = Self.multipliers[unit] else { throw invalid }
            let tail = suffix.dropFirst()
            guard tail.isEmpty || tail == "b" || tail == "ib" else { throw invalid }
            multiplier = scale
        } else if suffix.count > 1 {
            throw invalid
        }
        let total = value * multiplier
        guard total < 9.223_372_036_854_775_807e18 else { throw invalid }
        self.init(bytes: Int64(total))
    }

    private static let multipliers: [Character: Double] = [
        "k": 1024, "m": 1_048_576, "g": 1_073_741_824, "t": 1_099_511_627_776, "p": 1_125_899_906_842_624,
    ]

    /// Go's `strconv.ParseInt(s, 10, 64)`: an optional sign and decimal digits, nothing else.
    private static func goInteger(_ text: String) -> Int64? {
        var digits = Substring(text)
        if digits.first == "+" { digits = digits.dropFirst() }
        let unsigned = digits.first == "-" ? digits.dropFirst() : digits
        guard !unsigned.isEmpty, unsigned.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int64(digits)
    }

    /// Decimal floats as go-units reads them: digits with at most one point and an optional
    /// exponent (Swift's `Double(_:)` would also take hex, `inf` and `nan`).
    private static func goFloat(_ text: Substring) -> Double? {
        let allowed = text.allSatisfy { ($0.isASCII && $0.isNumber) || "+-.eE".contains($0) }
        guard allowed, text.contains(where: { $0.isASCII && $0.isNumber }) else { return nil }
        return Double(text)
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.bytes < rhs.bytes }

    /// Decodes an integer, or a string in the syntax of `init(parsing:)`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let bytes = try? container.decode(Int64.self) {
            self.init(bytes: bytes)
            return
        }
        let text = try container.decode(String.self)
        do {
            try self.init(parsing: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.message)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(String(bytes))
    }
}
