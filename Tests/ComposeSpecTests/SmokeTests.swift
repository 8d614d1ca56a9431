import Testing
@testable import ComposeSpec

@Suite struct SmokeTests {
    @Test("the module links") func links() { #expect(Bool(true)) }
}
