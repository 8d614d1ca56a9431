import Foundation
import Testing

/// `berth runtime exec`: a process joins a running container's namespaces and cgroup with the
/// same capabilities, no_new_privs and seccomp profile.
@Suite(.enabled(if: Fixture.unavailableReason == nil, "\(Fixture.unavailableReason ?? "")"))
struct ContainerExecTests {
    @Test("exec runs in the container's namespaces and cgroup with the same security settings, and returns its exit code")
    func execJoins() throws {
        let area = try Fixture.Area()
        defer { area.remove() }
        try area.setArgs(["sleep", "60"])
        let id = "exec-\(getpid())"
        #expect(try area.berthRun(["run", "--detach", "--bundle", area.bundle, id]).status == 0)
        defer { _ = try? area.berthRun(["delete", "--force", id]) }

        let probe = try area.berthRun(["exec", id, "/probe"])
        #expect(probe.status == 0, "\(probe.stderr)")
        let facts = probeFacts(probe.stdout)
        #expect(facts["pid"] != "1" && facts["pid"] != nil, "a new process in the container's PID namespace")
        #expect(facts["hostname"] == "berth")
        #expect(facts["CapEff"] == "00000000800405fb")
        #expect(facts["NoNewPrivs"] == "1")
        #expect(facts["Seccomp"] == "2")
        #expect(facts["userfaultfd"] == "-1 1")

        // The exec'd process is in the container's cgroup, which its cgroup namespace shows as "/".
        let cgroup = try area.berthRun(["exec", id, "cat", "/proc/self/cgroup"])
        #expect(cgroup.stdout.split(separator: "\n").contains { $0.hasSuffix(":pids:/") }, "\(cgroup.stdout)")

        let code = try area.berthRun(["exec", id, "sh", "-c", "exit 9"])
        #expect(code.status == 9)
    }

    @Test("exec takes a user, environment and working directory")
    func execOptions() throws {
        let area = try Fixture.Area()
        defer { area.remove() }
        try area.setArgs(["sleep", "60"])
        let id = "execopt-\(getpid())"
        #expect(try area.berthRun(["run", "--detach", "--bundle", area.bundle, id]).status == 0)
        defer { _ = try? area.berthRun(["delete", "--force", id]) }
        let result = try area.berthRun(["exec", "--user", "www", "--env", "GREETING=hi", "--cwd", "/etc", id,
                                        "sh", "-c", "id; echo $GREETING; pwd"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "uid=33(www) gid=33(www) groups=50(staff)\nhi\n/etc\n", "\(result.stdout)")
    }

    @Test("exec into a container that is not running fails, and a missing command exits 127")
    func execErrors() throws {
        let area = try Fixture.Area()
        defer { area.remove() }
        try area.setArgs(["sleep", "60"])
        let id = "execerr-\(getpid())"
        #expect(try area.berthRun(["create", "--bundle", area.bundle, id]).status == 0)
        defer { _ = try? area.berthRun(["delete", "--force", id]) }
        let notRunning = try area.berthRun(["exec", id, "true"])
        #expect(notRunning.status == 1)
        #expect(notRunning.stderr.contains("cannot exec in a container that is created"))
        #expect(try area.berthRun(["start", id]).status == 0)
        let missing = try area.berthRun(["exec", id, "nosuch"])
        #expect(missing.status == 127)
        #expect(missing.stderr.contains("executable file not found"))
    }
}
