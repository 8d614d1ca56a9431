import Foundation
import Testing

/// `berth config` of every example against a golden file in Golden/. Set BERTH_RECORD=1 to
/// re-record after an intended change, then review the diff.
@Suite struct GoldenConfigTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let golden: String
        let arguments: [String]
        var testDescription: String { golden }
    }

    static let cases: [Case] = [
        Case(golden: "webapp.yaml", arguments: ["-f", "Examples/webapp/compose.yaml", "config"]),
        Case(golden: "webapp.json", arguments: ["-f", "Examples/webapp/compose.yaml", "config", "--format", "json"]),
        Case(golden: "multi-file.yaml", arguments: ["--project-directory", "Examples/multi-file", "config"]),
        Case(golden: "multi-file-prod.yaml", arguments: ["-f", "Examples/multi-file/compose.yaml",
                                                         "-f", "Examples/multi-file/compose.prod.yaml", "config"]),
        Case(golden: "profiles-debug.yaml", arguments: ["-f", "Examples/profiles/compose.yaml", "--profile", "debug", "config"]),
        // Hashes include absolute bind paths, so a path-free example keeps this golden portable.
        Case(golden: "profiles-hashes.txt", arguments: ["-f", "Examples/profiles/compose.yaml", "--profile", "*", "config", "--hash", "*"]),
    ]

    @Test("config output matches its golden file", arguments: cases)
    func golden(_ testCase: Case) throws {
        let result = try BerthBinary.run(testCase.arguments, environment: ["HOME": "/home/user"])
        #expect(result.status == 0, "\(result.stderr)")
        let output = result.stdout.replacingOccurrences(of: repositoryRoot, with: "${ROOT}")
        let path = repositoryRoot + "/Tests/CommandsTests/Golden/" + testCase.golden
        if ProcessInfo.processInfo.environment["BERTH_RECORD"] == "1" {
            try Data(output.utf8).write(to: URL(fileURLWithPath: path))
            return
        }
        let expected = try String(contentsOfFile: path, encoding: .utf8)
        #expect(output == expected, "differs from Golden/\(testCase.golden); BERTH_RECORD=1 re-records it")
    }
}
