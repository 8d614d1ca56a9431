import Testing
@testable import ComposeSpec

@Suite struct EnvironmentEntryTests {
    @Test("splits a list entry at the first =", arguments: [
        ("KEY=VALUE", "KEY", "VALUE"),
        ("KEY=", "KEY", ""),
        ("KEY", "KEY", nil),
        ("KEY=a=b", "KEY", "a=b"),
        ("=value", "", "value"),
        ("KEY= spaced ", "KEY", " spaced "),
        ("", "", nil),
    ] as [(String, String, String?)])
    func parses(entry: String, key: String, value: String?) {
        let parsed = EnvironmentEntry.parse(entry)
        #expect(parsed.key == key)
        #expect(parsed.value == value)
    }
}
