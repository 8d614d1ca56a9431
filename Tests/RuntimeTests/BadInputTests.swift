import Foundation
import OCISpec
import Testing

/// Bad bundles and entrypoints: each gets a clear error, docker's exit codes, and leaves no
/// container state behind.
@Suite(.enabled(if: Fixture.unavailableReason == nil, "\(Fixture.unavailableReason ?? "")"))
struct BadInputTests {
    func expectFailure(_ area: Fixture.Area, status: Int32, message: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let result = try area.berthRun(["run", "--bundle", area.bundle, "bad"])
        #expect(result.status == status, "\(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stderr.contains(message), "\(result.stderr)", sourceLocation: sourceLocation)
        #expect(area.stateEntries.isEmpty, "a failed run leaves no state", sourceLocation: sourceLocation)
    }

    /// Edits config.json as untyped JSON, to write what the typed model cannot express.
    func editJSON(_ area: Fixture.Area, _ change: (inout [String: Any]) -> Void) throws {
        let url = URL(fileURLWithPath: area.bundle + "/config.json")
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] ?? [:]
        change(&json)
        try JSONSerialization.data(withJSONObject: json).write(to: url)
    }

    @Test("an entrypoint that does not exist exits 127 with docker's message")
    func missingEntrypoint() throws {
        let area = try Fixture.Area()
        defer { area.remove() }
        try area.setArgs(["nosuchprogram"])
        try expectFailure(area, status: 127, message: "exec: \"nosuchprogram\": executable file not found in $PATH")
    }

    @Test("an entrypoint that is not executable exits 126")
    func notExecutable() throws {
        let area = try Fixture.Area()
        defer { area.remove() }
        try "#!/bin/sh\n".write(toFile: area.bundle + "/rootfs/script", atomically: true, encoding: .utf8)
        try area.setArgs(["/script"])
        try expectFailure(area, status: 126, message: "exec: \"/script\": permission denied")
    }

    @Test("an unknown capability is rejected before anything starts")
    func unknownCapability() throws {
        let area = try Fixture.Area()
        defer { area.remove() }
        try area.edit { $0.process?.capabilities?.bounding?.append("CAP_TELEPORT") }
        try expectFailure(area, status: 1, message: "unknown capability \"CAP_TELEPORT\"")
    }

    @Test("a config.json with a missing field names the field")
    func missingField() throws {
        let area = try Fixture.Area()
        defer { area.remove() }
        try editJSON(area) { json in
            var process = json["process"] as? [String: Any] ?? [:]
            process.removeValue(forKey: "cwd")
            json["process"] = process
        }
        try expectFailure(area, status: 1, message: "missing field process.cwd")
    }

    @Test("a field of the wrong type names the field and the expected type")
    func wrongType() throws {
        let area = try Fixture.Area()
        defer { area.remove() }
        try editJSON(area) { $0["hostname"] = 42 }
        try expectFailure(area, status: 1, message: "hostname: expected String")
    }

    @Test("a root filesystem that does not exist is reported")
    func missingRootfs() throws {
        let area = try Fixture.Area()
        defer { area.remove() }
        try area.edit { $0.root?.path = "nowhere" }
        try expectFailure(area, status: 1, message: "root filesystem \(area.bundle)/nowhere does not exist")
    }

    @Test("a rootfs symlink that escapes the bundle is refused")
    func escapingSymlink() throws {
        let area = try Fixture.Area()
        defer { area.remove() }
        try FileManager.default.createSymbolicLink(atPath: area.bundle + "/escape", withDestinationPath: "/")
        try area.edit { $0.root?.path = "escape" }
        try expectFailure(area, status: 1, message: "outside the bundle")
    }

    @Test("a mount destination that a symlink leads out of the rootfs is refused")
    func escapingMountDestination() throws {
        let area = try Fixture.Area()
        defer { area.remove() }
        try FileManager.default.createSymbolicLink(atPath: area.bundle + "/rootfs/hostetc", withDestinationPath: "/etc")
        try area.edit { $0.mounts?.append(.init(destination: "/hostetc", type: "tmpfs", source: "tmpfs")) }
        try expectFailure(area, status: 1, message: "outside the root filesystem")
    }

    @Test("an invalid container ID is rejected", arguments: ["../x", "", ".hidden", "a/b"])
    func invalidID(id: String) throws {
        let area = try Fixture.Area()
        defer { area.remove() }
        let result = try area.berthRun(["run", "--bundle", area.bundle, id])
        #expect(result.status == 1)
        #expect(result.stderr.contains("invalid container ID"))
    }
}
