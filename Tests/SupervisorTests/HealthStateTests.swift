import Foundation
import Supervisor
import Testing

@Suite("health checks")
struct HealthStateTests {
    static func result(_ code: Int, _ output: String = "") -> ProbeResult {
        ProbeResult(start: Date(), end: Date(), exitCode: code, output: output)
    }

    @Test("test lists: CMD, CMD-SHELL, NONE and empty", arguments: [
        (["CMD", "pg_isready", "-q"], HealthCheck.Test?.some(.exec(["pg_isready", "-q"]))),
        (["CMD-SHELL", "curl -f localhost || exit 1"], .some(.shell("curl -f localhost || exit 1"))),
        (["NONE"], nil),
        ([], nil),
    ])
    func tests(list: [String], expected: HealthCheck.Test?) throws {
        #expect(try HealthCheck.test(from: list, object: "a") == expected)
    }

    @Test("a test that starts with something else, or names no command, is refused", arguments: [["curl"], ["CMD"], ["CMD-SHELL"]])
    func badTests(list: [String]) {
        #expect(throws: SupervisorError.self) { try HealthCheck.test(from: list, object: "services.a.healthcheck") }
    }

    @Test("CMD-SHELL runs through /bin/sh -c")
    func shell() {
        #expect(HealthCheck.Test.shell("exit 0").arguments == ["/bin/sh", "-c", "exit 0"])
    }

    @Test("starting until a success; unhealthy after retries failures in a row; a success heals")
    func transitions() {
        let check = HealthCheck(test: .shell("true"), interval: 1, retries: 2)
        var state = HealthState()
        #expect(state.status == .starting)
        state.record(Self.result(1), sinceStart: 1, check: check)
        #expect(state.status == .starting)
        state.record(Self.result(1), sinceStart: 2, check: check)
        #expect(state.status == .unhealthy)
        state.record(Self.result(0), sinceStart: 3, check: check)
        #expect(state.status == .healthy)
        #expect(state.failingStreak == 0)
        state.record(Self.result(1), sinceStart: 4, check: check)
        #expect(state.status == .healthy)
        state.record(Self.result(1), sinceStart: 5, check: check)
        #expect(state.status == .unhealthy)
    }

    @Test("failures inside the start period do not count; the start interval applies there")
    func startPeriod() {
        let check = HealthCheck(test: .shell("true"), interval: 30, retries: 1, startPeriod: 10, startInterval: 0.5)
        var state = HealthState()
        for second in 1...9 { state.record(Self.result(1), sinceStart: Double(second), check: check) }
        #expect(state.status == .starting)
        #expect(check.delay(sinceStart: 3) == 0.5)
        #expect(check.delay(sinceStart: 10) == 30)
        state.record(Self.result(1), sinceStart: 11, check: check)
        #expect(state.status == .unhealthy)
    }

    @Test("the last five results are kept, oldest dropped")
    func log() {
        let check = HealthCheck(test: .shell("true"))
        var state = HealthState()
        for index in 0..<8 { state.record(Self.result(0, "run \(index)"), sinceStart: 1, check: check) }
        #expect(state.log.map(\.output) == ["run 3", "run 4", "run 5", "run 6", "run 7"])
    }

    @Test("readiness: running and healthy, one-shots exited 0; unhealthy or failed exits name the container")
    func readiness() {
        let check = HealthCheck(test: .shell("true"))
        var db = SupervisedContainer(id: "1", name: "p-db-1", service: "db", state: .running, healthCheck: check)
        let migrate = SupervisedContainer(id: "2", name: "p-migrate-1", service: "migrate", state: .exited, exitCode: 0)
        let web = SupervisedContainer(id: "3", name: "p-web-1", service: "web", state: .running)
        #expect(Readiness.of([db, migrate, web]) == .waiting(["p-db-1 (health: starting)"]))
        db.health = HealthState(status: .healthy)
        #expect(Readiness.of([db, migrate, web]) == .ready)
        db.health = HealthState(status: .unhealthy)
        #expect(Readiness.of([db, migrate, web]) == .failed(container: "p-db-1", reason: "is unhealthy"))
        var failed = migrate
        failed.exitCode = 3
        #expect(Readiness.of([failed, web]) == .failed(container: "p-migrate-1", reason: "exited with code 3"))
    }
}
