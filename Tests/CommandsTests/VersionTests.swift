import Testing
@testable import Commands

@Suite struct VersionTests {
    @Test("version parses") func parses() throws {
        _ = try BerthCommand.parseAsRoot(["version", "--short"])
    }
}
