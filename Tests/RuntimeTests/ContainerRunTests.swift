import Foundation
import Testing

/// `berth runtime run` as root: what the probe sees inside the container.
@Suite(.enabled(if: Fixture.unavailableReason == nil, "\(Fixture.unavailableReason ?? "")"))
struct ContainerRunTests {
    @Test("a root container runs as PID 1 with its hostname, podman's capabilities, no_new_privs and a seccomp filter")
    func securityDefaults() throws {
        let area = try Fixture.Area()
        defer { area.remove() }
        try area.setArgs(["/probe"])
        let result = try area.berthRun(["run", "--bundle", area.bundle, "probe1"])
        #expect(result.status == 0, "\(result.stderr)")
        let facts = probeFacts(result.stdout)
        #expect(facts["CapEff"] == "00000000800405fb")
        #expect(facts["NoNewPrivs"] == "1")
        #expect(facts["Seccomp"] == "2")
        #expect(facts["pid"] == "1")
        #expect(facts["hostname"] == "berth")
        #expect(facts["uid"] == "0")
        #expect(facts["open_fds"] == "3", "only stdin, stdout and stderr reach the container: \(facts["fd_links"] ?? "")")
    }

    @Test("the default seccomp profile fails unlisted syscalls with ENOSYS and dangerous ones with EPERM")
    func seccompErrnos() throws {
        let area = try Fixture.Area()
        defer { area.remove() }
        try area.setArgs(["/probe"])
        let facts = probeFacts(try area.berthRun(["run", "--bundle", area.bundle, "probe2"]).stdout)
        #expect(facts["add_key"] == "-1 38")
        #expect(facts["userfaultfd"] == "-1 1")
        #expect(facts["kexec_load"] == "-1 1")
    }

    @Test("masked paths read empty; /proc/sys and the read-only rootfs refuse writes")
    func maskedAndReadonlyPaths() throws {
        let area = try Fixture.Area()
        defer { area.remove() }
        try area.setArgs(["/probe"])
        let facts = probeFacts(try area.berthRun(["run", "--bundle", area.bundle, "probe3"]).stdout)
        #expect(facts["timer_list"] == "")
        #expect(facts["sys_firmware_entries"] == "0")
        #expect(facts["proc_sys_write"] == "Read-only file system")
        #expect(facts["rootfs_write"] == "Read-only file system")
    }

    // PID 1 of a PID namespace cannot be killed from inside it, so the signal case kills a child
    // and propagates the shell's 128 + 9; ContainerLifecycleTests kills PID 1 from outside.
    @Test("the run's exit status is the container's exit code",
          arguments: [(["sh", "-c", "exit 3"], Int32(3)), (["true"], Int32(0)), (["sh", "-c", "sh -c 'kill -9 $$'; exit $?"], Int32(137))] as [([String], Int32)])
    func exitStatus(args: [String], expected: Int32) throws {
        let area = try Fixture.Area()
        defer { area.remove() }
        try area.setArgs(args)
        let result = try area.berthRun(["run", "--bundle", area.bundle, "exit"])
        #expect(result.status == expected, "\(result.stderr)")
        #expect(area.stateEntries.isEmpty, "run removes the container after it exits")
    }

    @Test("a user given by name is resolved from the container's /etc/passwd and /etc/group")
    func userByName() throws {
        let area = try Fixture.Area()
        defer { area.remove() }
        try area.edit {
            $0.process?.args = ["id"]
            $0.process?.user = .init(uid: 0, gid: 0, username: "www")
        }
        let result = try area.berthRun(["run", "--bundle", area.bundle, "user"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("uid=33(www) gid=33(www) groups=50(staff)"), "\(result.stdout)")
    }

    @Test("a run leaves no mounts behind in the host's mount table")
    func noMountsLeft() throws {
        let area = try Fixture.Area()
        defer { area.remove() }
        try area.setArgs(["true"])
        let before = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
        let result = try area.berthRun(["run", "--bundle", area.bundle, "clean"])
        #expect(result.status == 0, "\(result.stderr)")
        let after = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
        #expect(before == after)
        #expect(!after.contains(area.path))
    }
}
