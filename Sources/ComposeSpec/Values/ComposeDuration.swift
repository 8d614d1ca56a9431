/// A compose duration (`healthcheck.interval`, `stop_grace_period`…), in nanoseconds.
///
/// Parses Go's `time.ParseDuration` syntax as compose-go reads it (through `str2duration`, which
/// adds days `d` and weeks `w`): an optional sign, then one or more decimal numbers each with a
/// unit `ns`, `us`, `µs`, `μs`, `ms`, `s`, `m`, `h`, `d`, `w` (`1m30s`, `1.5s`, `-2h`); a bare `0`
/// is zero. It prints and encodes in Go's `Duration.String()` form, which is what
/// `docker compose config` writes: `1m30s`, `500ms`, `1h0m0s`, `0s`.
public struct ComposeDuration: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    /// The length in nanoseconds; negative durations are allowed, as in Go.
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) {
        self.nanoseconds = nanoseconds
    }

    /// Parses a Go duration string.
    public init(parsing text: String) throws(ComposeValueError) {
        let invalid = ComposeValueError(
            "invalid duration \"\(text)\" (expected a number with a unit ns, us, ms, s, m, h, d or w, like 1m30s)")
        var rest = Substring(text)
        var negative = false
        if let sign = rest.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            rest = rest.dropFirst()
        }
        if rest == "0" {
            self.init(nanoseconds: 0)
            return
        }
        guard !rest.isEmpty else { throw invalid }

        var total: Int64 = 0
        while !rest.isEmpty {
            let whole = rest.prefix { $0.isASCII && $0.isNumber }
            rest = rest.dropFirst(whole.count)
            var fraction = Substring()
            if rest.first == "." {
                rest = rest.dropFirst()
                fraction = rest.prefix { $0.isASCII && $0.isNumber }
                rest = rest.dropFirst(fraction.count)
            }
            guard !whole.isEmpty || !fraction.isEmpty else { throw invalid }
            let unitText = rest.prefix { !($0 == "." || ($0.isASCII && $0.isNumber)) }
            rest = rest.dropFirst(unitText.count)
            guard let unit = Self.units[String(unitText)] else {
                throw ComposeValueError(
                    unitText.isEmpty
                        ? "invalid duration \"\(text)\": missing unit (add one of ns, us, ms, s, m, h, d, w)"
                        : "invalid duration \"\(text)\": unknown unit \"\(unitText)\" (expected ns, us, ms, s, m, h, d or w)")
            }
            guard let value = Int64(whole.isEmpty ? "0" : String(whole)) else { throw invalid }
            var (scaled, overflow) = value.multipliedReportingOverflow(by: unit)
            guard !overflow else { throw invalid }
            if !fraction.isEmpty {
                // Go reads fraction digits while they fit 2^63 and ignores the rest, then scales
                // with a float64; doing the same keeps results identical to the nanosecond.
                var numerator: UInt64 = 0
                var scale = 1.0
                for digit in fraction.utf8 {
                    guard numerator <= UInt64(Int64.max) / 10 else { break }
                    let next = numerator * 10 + UInt64(digit - 0x30)
                    guard next <= 1 << 63 else { break }
                    numerator = next
                    scale *= 10
                }
                (scaled, overflow) = scaled.addingReportingOverflow(Int64(Double(numerator) * (Double(unit) / scale)))
                guard !overflow else { throw invalid }
            }
            (total, overflow) = total.addingReportingOverflow(scaled)
            guard !overflow else { throw invalid }
        }
        self.init(nanoseconds: negative ? -total : total)
    }

    private static let units: [String: Int64] = [
        "ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000, "s": 1_000_000_000,
        "m": 60_000_000_000, "h": 3_600_000_000_000, "d": 86_400_000_000_000, "w": 604_800_000_000_000,
    ]

    /// Go's `time.Duration.String()`: `72h3m0.5s`, `1.5ms`, `0s`.
    public var description: String {
        if nanoseconds == 0 { return "0s" }
        let sign = nanoseconds < 0 ? "-" : ""
        var magnitude = nanoseconds.magnitude
        if magnitude < 1_000_000_000 {
            // Below one second Go picks the largest unit that keeps the integer part non-zero.
            let (digits, unit): (Int, String) =
                magnitude < 1_000 ? (0, "ns") : magnitude < 1_000_000 ? (3, "µs") : (6, "ms")
            return sign + Self.decimal(magnitude, fractionDigits: digits) + unit
        }
        var text = Self.decimal(magnitude % 60_000_000_000, fractionDigits: 9) + "s"
        magnitude /= 60_000_000_000
        if magnitude > 0 {
            text = "\(magnitude % 60)m" + text
            magnitude /= 60
            if magnitude > 0 { text = "\(magnitude)h" + text }
        }
        return sign + text
    }

    /// `value / 10^fractionDigits` in decimal, without trailing zeros or a bare point.
    private static func decimal(_ value: UInt64, fractionDigits: Int) -> String {
        var divisor: UInt64 = 1
        for _ in 0..<fractionDigits { divisor *= 10 }
        let whole = value / divisor
        var fraction = value % divisor
        guard fraction != 0 else { return "\(whole)" }
        var digits = fractionDigits
        while fraction % 10 == 0 {
            fraction /= 10
            digits -= 1
        }
        let padded = String(repeating: "0", count: digits - String(fraction).count) + String(fraction)
        return "\(whole).\(padded)"
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    /// Decodes the duration syntax; a YAML integer is read as its text, so only `0` has no unit.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text: String
        if let string = try? container.decode(String.self) {
            text = string
        } else {
            text = String(try container.decode(Int64.self))
        }
        do {
            try self.init(parsing: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.message)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
