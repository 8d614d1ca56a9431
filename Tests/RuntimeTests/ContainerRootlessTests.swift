import Foundation
import OCISpec
import Testing

/// `berth runtime` run by an unprivileged user: newuidmap/newgidmap with /etc/subuid ranges,
/// and the single-ID fallback for a user without a range.
@Suite(.enabled(if: Fixture.rootlessUnavailableReason == nil, "\(Fixture.rootlessUnavailableReason ?? "")"))
struct ContainerRootlessTests {
    @Test("a rootless container maps the user to root and its subordinate range from 1, with the same security defaults")
    func subordinateRanges() throws {
        let area = try Fixture.Area(rootless: "berth-test")
        defer { area.remove() }
        try area.setArgs(["/probe"])
        let result = try area.berthRun(["run", "--bundle", area.bundle, "rootless"])
        #expect(result.status == 0, "\(result.stderr)")
        let facts = probeFacts(result.stdout)
        let uid = try #require(getpwnam("berth-test")).pointee.pw_uid
        let map = (facts["uid_map"] ?? "").split(whereSeparator: { $0 == " " || $0 == ";" }).joined(separator: " ")
        #expect(map == "0 \(uid) 1 1 100000 65536")
        #expect(facts["uid"] == "0")
        #expect(facts["pid"] == "1")
        #expect(facts["CapEff"] == "00000000800405fb")
        #expect(facts["NoNewPrivs"] == "1")
        #expect(facts["Seccomp"] == "2")
        #expect(facts["userfaultfd"] == "-1 1")
        #expect(facts["sys_firmware_entries"] == "0")
    }

    @Test("a rootless create/start/delete cycle keeps its state in the user's --root and records the exit code")
    func lifecycle() throws {
        let area = try Fixture.Area(rootless: "berth-test")
        defer { area.remove() }
        try area.setArgs(["sh", "-c", "exit 5"])
        let create = try area.berthRun(["create", "--bundle", area.bundle, "rl"])
        #expect(create.status == 0, "\(create.stderr)")
        #expect(try area.berthRun(["state", "rl"]).stdout.contains("\"created\""))
        #expect(try area.berthRun(["start", "rl"]).status == 0)
        var exit = ""
        var attempts = 0
        while attempts < 300 && exit.isEmpty {
            attempts += 1
            exit = (try? String(contentsOfFile: area.stateRoot + "/rl/exit.json", encoding: .utf8)) ?? ""
            usleep(20_000)
        }
        #expect(exit.contains("\"exitCode\":5"))
        #expect(try area.berthRun(["delete", "rl"]).status == 0)
        #expect(area.stateEntries.isEmpty)
    }

    @Test("a user without a subordinate range gets only its own ID mapped, with a warning")
    func singleIDFallback() throws {
        // nobody has no /etc/subuid entry on a stock Debian system.
        let subuid = (try? String(contentsOfFile: "/etc/subuid", encoding: .utf8)) ?? ""
        try #require(!subuid.contains("nobody:") && !subuid.contains("65534:"), "nobody must have no subuid range for this test")
        let area = try Fixture.Area(rootless: "nobody")
        defer { area.remove() }
        let written = try JSONDecoder().decode(RuntimeSpec.self, from: Data(contentsOf: URL(fileURLWithPath: area.bundle + "/config.json")))
        #expect(written.linux?.uidMappings == [.init(containerID: 0, hostID: 65534, size: 1)])
        try FileManager.default.removeItem(atPath: area.bundle + "/config.json")
        let spec = try area.berthRun(["spec", "--rootless", "--bundle", area.bundle])
        #expect(spec.stderr.contains("warning: no /etc/subuid or /etc/subgid range"))
        try area.setArgs(["/probe"])
        let result = try area.berthRun(["run", "--bundle", area.bundle, "single"])
        #expect(result.status == 0, "\(result.stderr)")
        let facts = probeFacts(result.stdout)
        let map = (facts["uid_map"] ?? "").split(whereSeparator: { $0 == " " || $0 == ";" }).joined(separator: " ")
        #expect(map == "0 65534 1")
        #expect(facts["uid"] == "0")
        #expect(facts["Seccomp"] == "2")
    }

    @Test("rootless limits that cannot be applied (no delegated cgroup v2 tree) are named in a warning, and the container still runs")
    func limitsWarning() throws {
        let area = try Fixture.Area(rootless: "berth-test")
        defer { area.remove() }
        try area.edit {
            $0.process?.args = ["true"]
            $0.linux?.resources = .init(memory: .init(limit: 64 << 20), pids: .init(limit: 10))
        }
        let result = try area.berthRun(["run", "--bundle", area.bundle, "limits"])
        #expect(result.status == 0, "\(result.stderr)")
        // cgroup v1 (and hybrid hosts like CI's) never delegates to users; on a v2 host the
        // outcome depends on the system's delegation, which this test does not set up.
        let unified = FileManager.default.fileExists(atPath: "/sys/fs/cgroup/cgroup.controllers")
        if !unified {
            #expect(result.stderr.contains("warning:"))
            #expect(result.stderr.contains("not applied: memory.limit, pids.limit"), "\(result.stderr)")
        }
    }

    @Test("rootless exec joins the container's user namespace first, then the others")
    func exec() throws {
        let area = try Fixture.Area(rootless: "berth-test")
        defer { area.remove() }
        try area.setArgs(["sleep", "60"])
        #expect(try area.berthRun(["run", "--detach", "--bundle", area.bundle, "rlexec"]).status == 0)
        defer { _ = try? area.berthRun(["delete", "--force", "rlexec"]) }
        let result = try area.berthRun(["exec", "rlexec", "/probe"])
        #expect(result.status == 0, "\(result.stderr)")
        let facts = probeFacts(result.stdout)
        #expect(facts["uid"] == "0")
        #expect(facts["hostname"] == "berth")
        #expect(facts["Seccomp"] == "2")
        #expect(facts["CapEff"] == "00000000800405fb")
    }
}
