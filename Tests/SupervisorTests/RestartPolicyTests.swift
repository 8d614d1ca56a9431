import Foundation
import Supervisor
import Testing

@Suite("restart policies")
struct RestartPolicyTests {
    @Test("restart: strings parse as compose writes them", arguments: [
        ("no", RestartPolicy(mode: .no)),
        ("always", RestartPolicy(mode: .always)),
        ("unless-stopped", RestartPolicy(mode: .unlessStopped)),
        ("on-failure", RestartPolicy(mode: .onFailure)),
        ("on-failure:0", RestartPolicy(mode: .onFailure)),
        ("on-failure:2", RestartPolicy(mode: .onFailure, maximumRetries: 2)),
    ])
    func parses(text: String, expected: RestartPolicy) throws {
        #expect(try RestartPolicy(parsing: text, object: "services.a.restart") == expected)
    }

    @Test("an unknown policy or a bad retry count is an error naming the object", arguments: ["sometimes", "on-failure:x", "on-failure:-1", "always:3"])
    func refuses(text: String) {
        #expect(throws: SupervisorError.self) { try RestartPolicy(parsing: text, object: "services.a.restart") }
        do { _ = try RestartPolicy(parsing: text, object: "services.a.restart") } catch {
            #expect(error.object == "services.a.restart")
            #expect(error.code == .invalidPolicy)
        }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var policy: RestartPolicy
        var exitCode: Int32
        var restartCount: Int
        var stoppedByUser: Bool
        var restarts: Bool
        var testDescription: String { "\(policy.mode.rawValue) max \(policy.maximumRetries.map(String.init) ?? "-") exit \(exitCode) count \(restartCount) user \(stoppedByUser)" }
    }

    @Test("who comes back after an exit", arguments: [
        Case(policy: .no, exitCode: 1, restartCount: 0, stoppedByUser: false, restarts: false),
        Case(policy: .init(mode: .always), exitCode: 0, restartCount: 7, stoppedByUser: false, restarts: true),
        Case(policy: .init(mode: .always), exitCode: 137, restartCount: 0, stoppedByUser: true, restarts: false),
        Case(policy: .init(mode: .unlessStopped), exitCode: 0, restartCount: 0, stoppedByUser: false, restarts: true),
        Case(policy: .init(mode: .unlessStopped), exitCode: 143, restartCount: 0, stoppedByUser: true, restarts: false),
        Case(policy: .init(mode: .onFailure), exitCode: 0, restartCount: 0, stoppedByUser: false, restarts: false),
        Case(policy: .init(mode: .onFailure), exitCode: 1, restartCount: 50, stoppedByUser: false, restarts: true),
        Case(policy: .init(mode: .onFailure, maximumRetries: 2), exitCode: 1, restartCount: 1, stoppedByUser: false, restarts: true),
        Case(policy: .init(mode: .onFailure, maximumRetries: 2), exitCode: 1, restartCount: 2, stoppedByUser: false, restarts: false),
        Case(policy: .init(mode: .always, maximumRetries: 1), exitCode: 0, restartCount: 1, stoppedByUser: false, restarts: false),
    ])
    func decision(_ c: Case) {
        #expect(c.policy.shouldRestart(exitCode: c.exitCode, restartCount: c.restartCount, stoppedByUser: c.stoppedByUser) == c.restarts)
    }

    @Test("a run as long as the window starts the restart count again")
    func window() {
        let policy = RestartPolicy(mode: .onFailure, maximumRetries: 2, window: 30)
        #expect(policy.effectiveCount(2, ranFor: 5) == 2)
        #expect(policy.effectiveCount(2, ranFor: 30) == 0)
        #expect(RestartPolicy(mode: .onFailure, maximumRetries: 2).effectiveCount(2, ranFor: 3600) == 2)
    }

    @Test("back-off: 100 ms doubling to one minute, reset after a 10 s run")
    func backoff() {
        var backoff = RestartBackoff()
        let delays = (0..<12).map { _ in backoff.next(ranFor: 0.5) }
        #expect(delays.prefix(4) == [0.1, 0.2, 0.4, 0.8])
        #expect(delays.last == 60)
        #expect(delays.allSatisfy { $0 <= 60 })
        #expect(backoff.next(ranFor: 10) == 0.1)
        #expect(backoff.next(ranFor: 1) == 0.2)
    }
}
