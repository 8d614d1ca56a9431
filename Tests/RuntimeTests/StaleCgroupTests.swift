import Foundation
import Testing

/// A container killed together with its monitor (kill -9 of both, the OOM killer, a power cut
/// simulated without a reboot) leaves its cgroup behind, empty. Launching the container again
/// must repair that, not fail with "cgroup … already exists" until someone deletes it by hand.
@Suite(.enabled(if: Fixture.unavailableReason == nil, "\(Fixture.unavailableReason ?? "")"))
struct StaleCgroupTests {
    @Test("a container killed with its monitor runs again under the same id: the emptied cgroup it left is removed, not refused")
    func emptiedCgroupIsRepaired() throws {
        let area = try Fixture.Area()
        defer { area.remove() }
        let id = "stale-cg-\(getpid())"
        try area.edit {
            $0.process?.args = ["sh", "-c", "sleep 60"]
            $0.linux?.cgroupsPath = nil  // the default /berth/<id>
        }
        let first = try area.berthRun(["run", "--detach", "--bundle", area.bundle, id])
        try #require(first.status == 0, "\(first.stderr)")
        let statePath = area.stateRoot + "/\(id)/state.json"
        let state = try #require(FileManager.default.contents(atPath: statePath).flatMap { try JSONSerialization.jsonObject(with: $0) as? [String: Any] })
        let pids = ["pid", "monitorPid"].compactMap { (state[$0] as? NSNumber)?.int32Value }
        try #require(pids.count == 2, "\(state)")
        let unified = FileManager.default.fileExists(atPath: "/sys/fs/cgroup/cgroup.controllers")
        let cgroup = unified ? "/sys/fs/cgroup/berth/\(id)" : "/sys/fs/cgroup/pids/berth/\(id)"
        #expect(FileManager.default.fileExists(atPath: cgroup))

        for pid in pids { kill(pid, SIGKILL) }
        var gone = false
        for _ in 0..<200 where !gone {
            gone = pids.allSatisfy { kill($0, 0) != 0 }
            if !gone { usleep(20_000) }
        }
        try #require(gone, "\(pids) still run")
        // What a runtime directory emptied at boot looks like: no state, the cgroup still there.
        try FileManager.default.removeItem(atPath: area.stateRoot + "/\(id)")
        #expect(FileManager.default.fileExists(atPath: cgroup), "the kill left no cgroup: nothing to repair")

        let again = try area.berthRun(["run", "--detach", "--bundle", area.bundle, id])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try area.berthRun(["state", id]).stdout.contains("\"running\""))
        #expect(try area.berthRun(["delete", "--force", id]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: cgroup))
    }
}
