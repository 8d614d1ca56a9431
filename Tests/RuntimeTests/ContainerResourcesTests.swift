import Foundation
import OCISpec
import Testing

/// cgroups (v1 on hybrid hosts, v2 where unified), pause/resume, ps, rlimits and mounts, and
/// that delete leaves neither mounts nor cgroups behind.
@Suite(.enabled(if: Fixture.unavailableReason == nil, "\(Fixture.unavailableReason ?? "")"))
struct ContainerResourcesTests {
    /// The cgroup file holding `v1File` (v1) or `v2File` (v2) for the container.
    func cgroupValue(_ id: String, v1 controller: String, _ v1File: String, v2 v2File: String) -> String? {
        let unified = FileManager.default.fileExists(atPath: "/sys/fs/cgroup/cgroup.controllers")
        let path = unified ? "/sys/fs/cgroup/berth/\(id)/\(v2File)" : "/sys/fs/cgroup/\(controller)/berth/\(id)/\(v1File)"
        return (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The container's cgroup directories that exist, in every hierarchy.
    func cgroupDirectories(_ id: String) -> [String] {
        ["memory", "cpu", "pids", "freezer", "cpuset", "unified", ""].map { "/sys/fs/cgroup/\($0)/berth/\(id)" }
            .filter { FileManager.default.fileExists(atPath: $0) }
    }

    @Test("memory, pids and CPU limits are applied; ps, pause and resume work; delete leaves no cgroup or mount behind")
    func limitsPauseAndCleanup() throws {
        let area = try Fixture.Area()
        defer { area.remove() }
        let id = "res-\(getpid())"
        try area.edit {
            $0.process?.args = ["sh", "-c", "sleep 60 & sleep 60 & wait"]
            $0.linux?.cgroupsPath = nil  // the default /berth/<id>
            $0.linux?.resources = .init(memory: .init(limit: 64 << 20, reservation: 32 << 20), cpu: .init(shares: 512, quota: 50000, period: 100000),
                                        pids: .init(limit: 20))
        }
        let mountsBefore = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
        #expect(cgroupDirectories(id).isEmpty)
        let run = try area.berthRun(["run", "--detach", "--bundle", area.bundle, id])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(!cgroupDirectories(id).isEmpty)
        #expect(cgroupValue(id, v1: "memory", "memory.limit_in_bytes", v2: "memory.max") == "\(64 << 20)")
        #expect(cgroupValue(id, v1: "memory", "memory.soft_limit_in_bytes", v2: "memory.low") == "\(32 << 20)")
        #expect(cgroupValue(id, v1: "pids", "pids.max", v2: "pids.max") == "20")
        #expect(cgroupValue(id, v1: "cpu", "cpu.cfs_quota_us", v2: "cpu.max")?.hasPrefix("50000") == true)

        var pids: [Int32] = []
        var attempts = 0
        while attempts < 100 && pids.count < 3 {  // the shell forks its children asynchronously
            attempts += 1
            let ps = try area.berthRun(["ps", "--format", "json", id])
            pids = try JSONDecoder().decode([Int32].self, from: Data(ps.stdout.utf8))
            if pids.count < 3 { usleep(20_000) }
        }
        #expect(pids.count == 3, "sh and two sleeps: \(pids)")

        #expect(try area.berthRun(["pause", id]).status == 0)
        #expect(try area.berthRun(["state", id]).stdout.contains("\"paused\""))
        let pauseAgain = try area.berthRun(["pause", id])
        #expect(pauseAgain.stderr.contains("cannot pause a container that is paused"))
        #expect(try area.berthRun(["resume", id]).status == 0)
        #expect(try area.berthRun(["state", id]).stdout.contains("\"running\""))

        #expect(try area.berthRun(["delete", "--force", id]).status == 0)
        #expect(cgroupDirectories(id).isEmpty, "delete removes the container's cgroups")
        #expect(try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) == mountsBefore)
        for pid in pids { #expect(kill(pid, 0) != 0, "process \(pid) is gone") }
    }

    @Test("rlimits are set for the process (lowered: root lacks CAP_SYS_RESOURCE on CI VMs)")
    func rlimits() throws {
        let area = try Fixture.Area()
        defer { area.remove() }
        try area.edit {
            $0.process?.args = ["sh", "-c", "ulimit -n; ulimit -Hn"]
            $0.process?.rlimits = [.init(type: "RLIMIT_NOFILE", soft: 100, hard: 200)]
        }
        let result = try area.berthRun(["run", "--bundle", area.bundle, "rlim"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "100\n200\n")
    }

    @Test("bind mounts (read-only and read-write) and tmpfs with size and mode are mounted")
    func mounts() throws {
        let area = try Fixture.Area()
        defer { area.remove() }
        let shared = area.path + "/shared"
        try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: true)
        try "hello\n".write(toFile: shared + "/greeting", atomically: true, encoding: .utf8)
        try area.edit {
            $0.process?.args = ["sh", "-c", "cat /ro/greeting; echo x > /ro/new || echo ro-refused; echo written > /rw/out; grep ' /scratch ' /proc/mounts"]
            $0.mounts? += [
                .init(destination: "/ro", type: "bind", source: shared, options: ["rbind", "ro"]),
                .init(destination: "/rw", type: "bind", source: shared, options: ["bind", "rw"]),
                .init(destination: "/scratch", type: "tmpfs", source: "tmpfs", options: ["size=1m", "mode=1770", "nosuid"]),
            ]
        }
        let result = try area.berthRun(["run", "--bundle", area.bundle, "mounts"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("hello\n"))
        #expect(result.stdout.contains("ro-refused"))
        #expect(result.stdout.contains("size=1024k,mode=1770"), "\(result.stdout)")
        #expect(try String(contentsOfFile: shared + "/out", encoding: .utf8) == "written\n")
    }
}
