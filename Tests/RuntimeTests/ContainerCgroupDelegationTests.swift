import Foundation
import OCISpec
import Testing

/// Rootless cgroup v2 delegation. The test does what systemd's user@.service does for a user
/// (`Delegate=yes`): a v2 subtree owned by the user, with its cgroup.procs, cgroup.threads and
/// cgroup.subtree_control, and the user's processes in a leaf below it. On a hybrid host (CI's)
/// the subtree is in /sys/fs/cgroup/unified, which has no controllers: the container is placed
/// and frozen there, and every limit is named in a warning instead of failing.
@Suite(.enabled(if: Fixture.delegationUnavailableReason == nil, "\(Fixture.delegationUnavailableReason ?? "")"))
struct ContainerCgroupDelegationTests {

    /// A delegated subtree `<v2>/berth-deleg-XXXX` with a leaf for the user's processes.
    struct Delegation {
        var root: String
        var path: String
        var user: String

        init(user: String) throws {
            let unified = try #require(Fixture.unifiedRoot)
            path = "/berth-deleg-\(UUID().uuidString.prefix(8))"
            root = unified + path
            self.user = user
            try FileManager.default.createDirectory(atPath: root + "/leaf", withIntermediateDirectories: true)
            let owned = [root, root + "/cgroup.procs", root + "/cgroup.threads", root + "/cgroup.subtree_control",
                         root + "/leaf", root + "/leaf/cgroup.procs", root + "/leaf/cgroup.threads"]
            let chown = try Fixture.run(["/bin/chown", user] + owned)
            if chown.status != 0 { throw Fixture.FixtureError(message: "chown: \(chown.stderr)") }
        }

        /// `berth runtime ARGS` as the user, started from the leaf as a login under systemd would be.
        func berth(_ area: Fixture.Area, _ arguments: [String]) throws -> Fixture.Result {
            try Fixture.run(["/bin/sh", "-c", "echo $$ > \"$0\" && exec \"$@\"", root + "/leaf/cgroup.procs",
                             "/usr/sbin/runuser", "-u", user, "--", area.berth, "runtime", "--root", area.stateRoot] + arguments)
        }

        /// Removes the subtree, deepest first (rmdir is how cgroups go).
        func remove() {
            let all = ((FileManager.default.subpaths(atPath: root) ?? []).filter { !$0.contains(".") && !$0.contains("cgroup") })
            for sub in all.sorted(by: { $0.count > $1.count }) { rmdir(root + "/" + sub) }
            rmdir(root)
        }
    }

    @Test("a rootless container is placed in the delegated v2 subtree, sees it as its cgroup root, pauses through it, and limits without a controller are warnings")
    func delegated() throws {
        let delegation = try Delegation(user: "berth-test")
        defer { delegation.remove() }
        let area = try Fixture.Area(rootless: "berth-test")
        defer { area.remove() }
        try area.edit {
            $0.process?.args = ["sleep", "60"]
            $0.linux?.cgroupsPath = nil  // the default, below the delegated subtree
            $0.linux?.resources = .init(memory: .init(limit: 64 << 20), pids: .init(limit: 10))
        }
        let id = "delegated"
        let run = try delegation.berth(area, ["run", "--detach", "--bundle", area.bundle, id])
        try #require(run.status == 0, "\(run.stderr)")
        defer { _ = try? delegation.berth(area, ["delete", "--force", id]) }
        let cgroup = delegation.root + "/berth/\(id)"
        // Each limit is applied where its controller is delegated, and otherwise named in a warning.
        for (file, key, value) in [("memory.max", "memory.limit", "\(64 << 20)"), ("pids.max", "pids.limit", "10")] {
            if let applied = try? String(contentsOfFile: cgroup + "/" + file, encoding: .utf8) {
                #expect(applied.trimmingCharacters(in: .whitespacesAndNewlines) == value)
            } else {
                #expect(run.stderr.contains("warning:") && run.stderr.contains("linux.resources.\(key)"), "\(run.stderr)")
            }
        }
        let state = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: area.stateRoot + "/\(id)/state.json"))) as? [String: Any]
        let pid = try #require(state?["pid"] as? Int)
        let procs = try String(contentsOfFile: cgroup + "/cgroup.procs", encoding: .utf8)
        #expect(procs.split(separator: "\n").contains(Substring("\(pid)")), "the container's PID 1 is in \(cgroup): \(procs)")

        // Inside, the cgroup namespace starts at the container's cgroup, which is mounted read-only.
        let unifiedInside = Fixture.unifiedRoot == "/sys/fs/cgroup" ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified"
        let inside = try delegation.berth(area, ["exec", id, "sh", "-c", "cat /proc/self/cgroup; echo ---; cat \(unifiedInside)/cgroup.procs"])
        #expect(inside.status == 0, "\(inside.stderr)")
        let parts = inside.stdout.components(separatedBy: "---\n")
        #expect(parts.first?.split(separator: "\n").contains("0::/") == true, "\(inside.stdout)")
        #expect(parts.last?.split(separator: "\n").contains("1") == true, "the container's own v2 cgroup: \(inside.stdout)")

        // The v2 freezer needs no controller: pause and resume work rootless.
        let pause = try delegation.berth(area, ["pause", id])
        #expect(pause.status == 0, "\(pause.stderr)")
        #expect(try delegation.berth(area, ["state", id]).stdout.contains("\"paused\""))
        #expect(try delegation.berth(area, ["resume", id]).status == 0)
        #expect(try delegation.berth(area, ["state", id]).stdout.contains("\"running\""))

        let delete = try delegation.berth(area, ["delete", "--force", id])
        #expect(delete.status == 0, "\(delete.stderr)")
        #expect(!FileManager.default.fileExists(atPath: cgroup), "delete removes the container's cgroup")
        #expect(area.stateEntries.isEmpty)
    }
}

extension Fixture {
    /// Where the cgroup v2 hierarchy is mounted, if anywhere.
    static let unifiedRoot: String? = ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"]
        .first { FileManager.default.fileExists(atPath: $0 + "/cgroup.controllers") }

    /// Why the delegation test cannot run here, or nil.
    static let delegationUnavailableReason: String? = {
        if let reason = Fixture.rootlessUnavailableReason { return reason }
        if unifiedRoot == nil { return "this host has no cgroup v2 hierarchy (neither /sys/fs/cgroup nor /sys/fs/cgroup/unified)" }
        return nil
    }()
}
