import Foundation
import Testing

/// The manual pages in Man/ are generated from the command tree; this fails when a command, flag
/// or help text changed without `bash Man/regenerate.sh`.
@Suite struct ManualTests {
    @Test("Man/ matches the command tree")
    func manualIsFresh() throws {
        let current = try BerthBinary.run(["--experimental-dump-help"])
        #expect(current.status == 0)
        let committed = try String(contentsOfFile: repositoryRoot + "/Man/command-tree.json", encoding: .utf8)
        #expect(current.stdout == committed, "the manual is stale: run `bash Man/regenerate.sh` and commit Man/")
    }

    @Test("every subcommand has its page")
    func pagePerCommand() throws {
        let tree = try JSONSerialization.jsonObject(
            with: Data(try BerthBinary.run(["--experimental-dump-help"]).stdout.utf8)) as? [String: Any]
        func names(_ command: [String: Any], prefix: String) -> [String] {
            let name = prefix.isEmpty ? (command["commandName"] as? String ?? "") : prefix + "." + (command["commandName"] as? String ?? "")
            let children = command["subcommands"] as? [[String: Any]] ?? []
            return [name] + children.flatMap { names($0, prefix: name) }
        }
        let command = try #require(tree?["command"] as? [String: Any])
        for page in names(command, prefix: "") {
            #expect(FileManager.default.fileExists(atPath: repositoryRoot + "/Man/\(page).1"), "Man/\(page).1 is missing")
        }
    }
}
