import Foundation
import Testing
@testable import Runtime

/// ContainerRuntime.stop: a signal, a grace period, then SIGKILL; the exit status is recorded.
@Suite(.enabled(if: Fixture.unavailableReason == nil, "\(Fixture.unavailableReason ?? "")"))
struct ContainerStopTests {
    func runtime(_ area: Fixture.Area) -> ContainerRuntime {
        ContainerRuntime(stateRoot: area.stateRoot, initPath: Fixture.productsDirectory + "/berth-init")
    }

    @Test("a process that handles TERM stops within the grace period with its own status")
    func politeStop() throws {
        let area = try Fixture.Area()
        defer { area.remove() }
        try area.setArgs(["sh", "-c", "trap 'exit 3' TERM; while true; do sleep 0.05; done"])
        #expect(try area.berthRun(["run", "--detach", "--bundle", area.bundle, "polite"]).status == 0)
        usleep(200_000)  // let the shell install its trap
        let exit = try runtime(area).stop("polite", signal: "TERM", grace: 5)
        #expect(exit.exitCode == 3)
        #expect(exit.signal == nil)
        try runtime(area).delete("polite", force: false)
    }

    @Test("a PID 1 that ignores TERM is killed with SIGKILL after the grace period")
    func killAfterGrace() throws {
        let area = try Fixture.Area()
        defer { area.remove() }
        try area.setArgs(["sleep", "60"])  // PID 1 without a TERM handler: the kernel drops TERM
        #expect(try area.berthRun(["run", "--detach", "--bundle", area.bundle, "stubborn"]).status == 0)
        let start = Date()
        let exit = try runtime(area).stop("stubborn", signal: "TERM", grace: 0.3)
        #expect(exit.signal == 9)
        #expect(exit.exitCode == 137)
        #expect(Date().timeIntervalSince(start) >= 0.3)
        try runtime(area).delete("stubborn", force: false)
    }
}
