import Foundation
import Testing
@testable import ComposeSpec

/// Cases from Go's `time` package tests (`ParseDuration`, `Duration.String`) and str2duration's units.
@Suite struct DurationTests {
    static let second: Int64 = 1_000_000_000

    @Test("parses Go duration syntax", arguments: [
        ("0", 0), ("-0", 0), ("+0", 0),
        ("5s", 5 * second), ("30s", 30 * second), ("1478s", 1478 * second),
        ("-5s", -5 * second), ("+5s", 5 * second), ("-0s", 0),
        ("5.0s", 5 * second), ("5.6s", 5 * second + 600_000_000), ("5.s", 5 * second), (".5s", second / 2),
        ("1.004s", second + 4_000_000), ("1.0040s", second + 4_000_000), ("100.00100s", 100 * second + 1_000_000),
        ("10ns", 10), ("11us", 11_000), ("12µs", 12_000), ("12μs", 12_000), ("13ms", 13_000_000),
        ("14s", 14 * second), ("15m", 15 * 60 * second), ("16h", 16 * 3600 * second),
        ("3h30m", (3 * 3600 + 30 * 60) * second), ("10.5s4m", 4 * 60 * second + 10 * second + second / 2),
        ("-2m3.4s", -(2 * 60 * second + 3 * second + 400_000_000)),
        ("1h2m3s4ms5us6ns", 3600 * second + 2 * 60 * second + 3 * second + 4_000_000 + 5_000 + 6),
        ("39h9m14.425s", 39 * 3600 * second + 9 * 60 * second + 14 * second + 425_000_000),
        ("52763797000ns", 52_763_797_000),
        ("0.3333333333333333333h", 20 * 60 * second),
        ("9007199254740993ns", 9_007_199_254_740_993),
        ("9223372036854775807ns", Int64.max), ("9223372036854775.807us", Int64.max),
        ("9223372036s854ms775us807ns", Int64.max),
        ("0.100000000000000000000h", 6 * 60 * second),
        ("0.830103483285477580700h", 49 * 60 * second + 48 * second + 372_539_827),
        ("1d", 24 * 3600 * second), ("2w", 14 * 24 * 3600 * second), ("1d12h", 36 * 3600 * second),
    ] as [(String, Int64)])
    func parses(text: String, nanoseconds: Int64) throws {
        #expect(try ComposeDuration(parsing: text).nanoseconds == nanoseconds)
    }

    @Test("rejects what Go rejects", arguments: [
        "", "3", "-", "s", ".", "-.", ".s", "+.s", "1x", "1.5", "1s2", "1 s", " 1s",
        "3000000h", "9223372036854775808ns", "9223372036854775.808us", "9223372036854ms775us808ns",
        "-9223372036854775808ns",
    ])
    func rejects(text: String) {
        #expect(throws: ComposeValueError.self) { try ComposeDuration(parsing: text) }
    }

    @Test("says which unit is wrong or missing")
    func unitMessages() {
        #expect(throws: ComposeValueError(#"invalid duration "10": missing unit (add one of ns, us, ms, s, m, h, d, w)"#)) {
            try ComposeDuration(parsing: "10")
        }
        #expect(throws: ComposeValueError(#"invalid duration "10sec": unknown unit "sec" (expected ns, us, ms, s, m, h, d or w)"#)) {
            try ComposeDuration(parsing: "10sec")
        }
    }

    @Test("prints as Go's Duration.String", arguments: [
        (0, "0s"), (1, "1ns"), (1_100, "1.1µs"), (2_200_000, "2.2ms"), (500_000_000, "500ms"),
        (3_300_000_000, "3.3s"), (90 * second, "1m30s"), (4 * 60 * second + 5 * second, "4m5s"),
        (4 * 60 * second + 5_001_000_000, "4m5.001s"),
        (5 * 3600 * second + 6 * 60 * second + 7_001_000_000, "5h6m7.001s"),
        (8 * 60 * second + 1, "8m0.000000001s"), (3600 * second, "1h0m0s"), (-second, "-1s"),
        (-1_500, "-1.5µs"), (Int64.max, "2562047h47m16.854775807s"), (Int64.min, "-2562047h47m16.854775808s"),
    ] as [(Int64, String)])
    func prints(nanoseconds: Int64, text: String) {
        #expect(ComposeDuration(nanoseconds: nanoseconds).description == text)
    }

    @Test("round-trips through its text form", arguments: ["1m30s", "1.5s", "72h3m0.5s", "10us", "-2m3.4s", "1d"])
    func roundTrip(text: String) throws {
        let duration = try ComposeDuration(parsing: text)
        #expect(try ComposeDuration(parsing: duration.description) == duration)
    }

    @Test("encodes as its string and decodes strings and a bare 0")
    func codable() throws {
        let encoded = try JSONEncoder().encode([ComposeDuration(nanoseconds: 90 * Self.second)])
        #expect(String(decoding: encoded, as: UTF8.self) == #"["1m30s"]"#)
        let decoded = try JSONDecoder().decode([ComposeDuration].self, from: Data(#"["1m30s", 0, "500ms"]"#.utf8))
        #expect(decoded.map(\.nanoseconds) == [90 * Self.second, 0, 500_000_000])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([ComposeDuration].self, from: Data("[10]".utf8)) }
    }

    @Test("orders by length")
    func ordering() throws {
        #expect(try ComposeDuration(parsing: "999ms") < ComposeDuration(parsing: "1s"))
        #expect(try ComposeDuration(parsing: "-1h") < ComposeDuration(parsing: "0"))
    }
}
