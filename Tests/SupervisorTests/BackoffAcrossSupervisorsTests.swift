import Foundation
import Supervisor
import Synchronization
import SystemSupport
import Testing

/// A crash-looping container kept by a fake engine: each run is a real process (`/bin/sh -c
/// 'exit 1'`) the supervisor watches through its pidfd; the record, back-off included, lives in
/// the fake's store as it lives in StateStore, so two supervisors one after the other share it.
final class CrashLoopActions: SupervisorActions {
    struct Restart: Sendable, Hashable {
        var count: Int
        var delay: Double
        var at: ContinuousClock.Instant
    }

    struct Store {
        var container: SupervisedContainer
        var restarts: [Restart] = []
    }

    let store: Mutex<Store>

    init(policy: RestartPolicy) {
        let now = Date()
        store = Mutex(Store(container: SupervisedContainer(
            id: "c1", name: "loop-1", service: "loop", state: .exited, exitCode: 1, policy: policy,
            startedAt: now.addingTimeInterval(-0.5), finishedAt: now)))
    }

    var restarts: [Restart] { store.withLock { $0.restarts } }
    var restartDelay: Double? { store.withLock { $0.container.restartDelay } }

    /// The container with its run's end noticed: a process that exited (reaped or not) is over.
    func current() -> SupervisedContainer {
        store.withLock { store in
            if store.container.state == .running, let pid = store.container.pid, !Self.alive(pid) {
                store.container.state = .exited
                store.container.exitCode = 1
                store.container.pid = nil
                store.container.finishedAt = Date()
                var status: Int32 = 0
                _ = waitpid(pid, &status, WNOHANG)  // no zombie left once the watcher is gone
            }
            return store.container
        }
    }

    private static func alive(_ pid: Int32) -> Bool {
        var info = siginfo_t()
        // WNOWAIT: look without reaping (the watcher reaps through its pidfd).
        guard waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 else { return false }
        return info._sifields._sigchld.si_pid == 0
    }

    func containers() async throws -> [SupervisedContainer] { [current()] }

    func exited(_ id: String) async -> SupervisedContainer? {
        for _ in 0..<500 {
            let container = current()
            if container.state == .exited { return container }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return current()
    }

    func restart(_ id: String, restartCount: Int, restartDelay: Double) async throws -> SupervisedContainer? {
        let pid = try Spawn.spawn("/bin/sh", arguments: ["/bin/sh", "-c", "exit 1"], options: .init(environment: []), stage: "test")
        return store.withLock { store in
            store.restarts.append(Restart(count: restartCount, delay: restartDelay, at: .now))
            store.container.state = .running
            store.container.pid = pid
            store.container.exitCode = nil
            store.container.restartCount = restartCount
            store.container.restartDelay = restartDelay
            store.container.startedAt = Date()
            store.container.finishedAt = nil
            return store.container
        }
    }

    func probe(_ id: String, check: HealthCheck) async -> ProbeResult {
        ProbeResult(start: Date(), end: Date(), exitCode: 0, output: "")
    }

    func record(health: HealthState, of id: String) async {}
}

@Suite("back-off across supervisors")
struct BackoffAcrossSupervisorsTests {
    static func eventually(_ seconds: Double, _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }

    static let childKey = "BERTH_BACKOFF_CHILD"

    /// The timings below are those of a supervisor's own process. In the test process, hundreds of
    /// tests share the two threads of the cooperative pool (many of them blocked waiting for a
    /// `berth` they ran), and a CI run once starved this supervisor's 100 ms timer for a minute;
    /// so it runs in a process of its own: this test binary, filtered to the test below.
    @Test("a supervisor that replaces a killed one continues the crash loop's back-off from the store instead of 100 ms")
    func continuesBackoff() throws {
        let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("berth-backoff-\(getpid()).log")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        let handle = try FileHandle(forWritingTo: output)
        let child = Process()
        child.executableURL = URL(fileURLWithPath: executable)
        child.arguments = ["--testing-library", "swift-testing", "--filter", "SupervisorTests.BackoffAcrossSupervisorsTests/child"]
        child.environment = ProcessInfo.processInfo.environment.merging([Self.childKey: "1"]) { $1 }
        child.standardOutput = handle
        child.standardError = handle
        try child.run()
        child.waitUntilExit()
        try handle.close()
        let log = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        #expect(child.terminationStatus == 0, "\(log)")
        #expect(log.contains("Test run with 1 test"), "the child test ran: \(log)")
    }

    @Test("the back-off test's own process (runs only inside it)",
          .enabled(if: ProcessInfo.processInfo.environment[childKey] != nil, "runs only in the process the back-off test starts"))
    func child() async throws {
        let actions = CrashLoopActions(policy: RestartPolicy(mode: .always))
        let first = try ServiceSupervisor(actions: actions)
        try await first.start()
        // 100, 200 and 400 ms: three restarts, each recording the back-off of the next one.
        #expect(await Self.eventually(60) { actions.restarts.count >= 3 })
        await first.shutdown()
        // A restart already under way when it stopped may still land: wait until the last run
        // has ended and no restart came for a while; then only the store holds the back-off.
        var seen = -1
        #expect(await Self.eventually(60) {
            let now = actions.restarts.count
            defer { seen = now }
            return actions.current().state == .exited && now == seen
        })
        try await Task.sleep(for: .milliseconds(300))
        #expect(actions.current().state == .exited)
        let firstRestarts = actions.restarts
        try #require(firstRestarts.count >= 3)
        #expect(firstRestarts.prefix(3).map(\.delay) == [0.2, 0.4, 0.8])
        #expect(firstRestarts.map(\.count) == Array(1...firstRestarts.count))
        let left = try #require(actions.restartDelay)
        #expect(left >= 0.8)

        let second = try ServiceSupervisor(actions: actions)
        let started = ContinuousClock.now
        try await second.start()
        #expect(await Self.eventually(60) { actions.restarts.count > firstRestarts.count })
        await second.shutdown()
        let next = try #require(actions.restarts.dropFirst(firstRestarts.count).first)
        // Continued: the wait was the stored back-off, and the one after it doubles that.
        #expect(next.delay == min(left * 2, RestartBackoff.maximum))
        #expect(next.count == firstRestarts.count + 1)
        #expect(next.at - started >= .milliseconds(Int(left * 1000)))
    }

    @Test("a run of 10 s or more starts the stored back-off again")
    func resetAfterLongRun() {
        var backoff = RestartBackoff(delay: 30)
        #expect(backoff.next(ranFor: 1) == 30)
        #expect(backoff.delay == 60)
        #expect(backoff.next(ranFor: 12) == 0.1)
        #expect(RestartBackoff(delay: 500).delay == RestartBackoff.maximum)
        #expect(RestartBackoff(delay: 0).delay == RestartBackoff.initial)
    }
}
