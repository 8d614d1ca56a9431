import Foundation
import Testing

/// init: true (the io.berth.init annotation): a reaping PID 1 that forwards signals.
@Suite(.enabled(if: Fixture.unavailableReason == nil, "\(Fixture.unavailableReason ?? "")"))
struct ContainerInitTests {
    @Test("with init the entrypoint is PID 2 under a berth-init PID 1, and its exit code is the container's")
    func entrypointUnderInit() throws {
        let area = try Fixture.Area()
        defer { area.remove() }
        try area.edit {
            $0.process?.args = ["sh", "-c", "echo $$; cat /proc/1/cmdline; echo; exit 6"]
            $0.annotations = ["io.berth.init": "true"]
        }
        let result = try area.berthRun(["run", "--bundle", area.bundle, "init"])
        #expect(result.status == 6, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("2\n"), "\(result.stdout)")
        #expect(result.stdout.contains("berth-init"))
    }

    @Test("with init a TERM sent to the container reaches the entrypoint, which dies of it")
    func signalForwarding() throws {
        let area = try Fixture.Area()
        defer { area.remove() }
        try area.edit {
            $0.process?.args = ["sleep", "60"]
            $0.annotations = ["io.berth.init": "true"]
        }
        #expect(try area.berthRun(["run", "--detach", "--bundle", area.bundle, "initsig"]).status == 0)
        #expect(try area.berthRun(["kill", "initsig", "TERM"]).status == 0)
        var exit = ""
        var attempts = 0
        while attempts < 250 && exit.isEmpty {
            attempts += 1
            exit = (try? String(contentsOfFile: area.stateRoot + "/initsig/exit.json", encoding: .utf8)) ?? ""
            if exit.isEmpty { usleep(20_000) }
        }
        #expect(exit.contains("\"exitCode\":143"), "sleep died of TERM (128 + 15): \(exit)")
        _ = try area.berthRun(["delete", "--force", "initsig"])
    }
}
