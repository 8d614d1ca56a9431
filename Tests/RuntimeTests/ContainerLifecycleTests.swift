import Foundation
import Testing

/// create/start/state/kill/delete/list and their error cases, per the OCI lifecycle.
@Suite(.enabled(if: Fixture.unavailableReason == nil, "\(Fixture.unavailableReason ?? "")"))
struct ContainerLifecycleTests {
    struct State: Decodable {
        var id: String
        var status: String
        var pid: Int32?
        var bundle: String
        var ociVersion: String
    }

    func state(_ area: Fixture.Area, _ id: String) throws -> State {
        let result = try area.berthRun(["state", id])
        guard result.status == 0 else { throw Fixture.FixtureError(message: "state failed: \(result.stderr)") }
        return try JSONDecoder().decode(State.self, from: Data(result.stdout.utf8))
    }

    func waitForStop(_ area: Fixture.Area, _ id: String) throws -> State {
        for _ in 0..<300 {
            let current = try state(area, id)
            if current.status == "stopped" { return current }
            usleep(20_000)
        }
        return try state(area, id)
    }

    func exitRecord(_ area: Fixture.Area, _ id: String) -> String {
        (try? String(contentsOfFile: area.stateRoot + "/" + id + "/exit.json", encoding: .utf8)) ?? ""
    }

    @Test("create, start, state, delete: statuses follow the OCI lifecycle and the exit code is recorded after berth has exited")
    func lifecycle() throws {
        let area = try Fixture.Area()
        defer { area.remove() }
        try area.setArgs(["sh", "-c", "exit 7"])
        let create = try area.berthRun(["create", "--bundle", area.bundle, "--pid-file", area.path + "/pid", "life"])
        #expect(create.status == 0, "\(create.stderr)")
        let created = try state(area, "life")
        #expect(created.status == "created")
        #expect(created.id == "life")
        #expect(created.ociVersion == "1.0.2")
        #expect(created.bundle.hasSuffix("/bundle"))
        let pidFile = try String(contentsOfFile: area.path + "/pid", encoding: .utf8)
        #expect(created.pid.map(String.init) == pidFile)
        #expect(try area.berthRun(["list"]).stdout.contains("life\t\(created.pid ?? 0)\tcreated"))

        // Every berth process has exited by now: only the monitor is left to record the exit.
        #expect(try area.berthRun(["start", "life"]).status == 0)
        let stopped = try waitForStop(area, "life")
        #expect(stopped.status == "stopped")
        #expect(stopped.pid == nil)
        #expect(exitRecord(area, "life").contains("\"exitCode\":7"))
        #expect(try area.berthRun(["delete", "life"]).status == 0)
        #expect(area.stateEntries.isEmpty)
    }

    @Test("lifecycle errors: start twice, delete while running, kill with an unknown signal, unknown container")
    func lifecycleErrors() throws {
        let area = try Fixture.Area()
        defer { area.remove() }
        try area.setArgs(["sleep", "30"])
        #expect(try area.berthRun(["create", "--bundle", area.bundle, "busy"]).status == 0)
        let again = try area.berthRun(["create", "--bundle", area.bundle, "busy"])
        #expect(again.status == 1)
        #expect(again.stderr.contains("already exists"))
        #expect(try area.berthRun(["start", "busy"]).status == 0)
        #expect(try state(area, "busy").status == "running")

        let startTwice = try area.berthRun(["start", "busy"])
        #expect(startTwice.status == 1)
        #expect(startTwice.stderr.contains("cannot start a container that is running"))

        let deleteRunning = try area.berthRun(["delete", "busy"])
        #expect(deleteRunning.status == 1)
        #expect(deleteRunning.stderr.contains("stop it first or use --force"))

        let badSignal = try area.berthRun(["kill", "busy", "SIGFOO"])
        #expect(badSignal.status == 1)
        #expect(badSignal.stderr.contains("unknown signal \"SIGFOO\""))
        #expect(try state(area, "busy").status == "running")

        let unknown = try area.berthRun(["state", "nope"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("no such container"))

        #expect(try area.berthRun(["kill", "busy", "KILL"]).status == 0)
        #expect(try waitForStop(area, "busy").status == "stopped")
        #expect(exitRecord(area, "busy").contains("\"signal\":9"))
        let killStopped = try area.berthRun(["kill", "busy", "TERM"])
        #expect(killStopped.status == 1)
        #expect(try area.berthRun(["delete", "busy"]).status == 0)
        #expect(area.stateEntries.isEmpty)
    }

    @Test("delete --force kills a running container and removes its state")
    func forceDelete() throws {
        let area = try Fixture.Area()
        defer { area.remove() }
        try area.setArgs(["sleep", "30"])
        #expect(try area.berthRun(["run", "--detach", "--bundle", area.bundle, "forced"]).status == 0)
        let running = try state(area, "forced")
        #expect(running.status == "running")
        #expect(try area.berthRun(["delete", "--force", "forced"]).status == 0)
        #expect(area.stateEntries.isEmpty)
        if let pid = running.pid { #expect(kill(pid, 0) != 0, "the container process is gone") }
    }
}
