import Foundation
import Supervisor
import SystemSupport
import Testing

@Suite("process watcher")
struct ProcessWatcherTests {
    static func spawn(_ arguments: [String]) throws -> Int32 {
        try Spawn.spawn(arguments[0], arguments: arguments, options: .init(environment: []), stage: "test")
    }

    /// Whether `pid` is still our child to wait for (false once the watcher reaped it).
    static func isUnreaped(_ pid: Int32) -> Bool {
        var status: Int32 = 0
        return waitpid(pid, &status, WNOHANG) >= 0 || errno != ECHILD
    }

    @Test("reports the end of a watched process under its key, reaps it, and reports only watched ones")
    func reportsExit() async throws {
        let watcher = try ProcessWatcher()
        defer { watcher.close() }
        let short = try Self.spawn(["/bin/sleep", "0.2"])
        let long = try Self.spawn(["/bin/sleep", "300"])
        defer { kill(long, SIGKILL); _ = try? Processes.wait(long, stage: "test") }
        try watcher.watch(short, key: "short")
        try watcher.watch(long, key: "long")
        let start = ContinuousClock.now
        var iterator = watcher.exits.makeAsyncIterator()
        let first = await iterator.next()
        #expect(first == "short")
        // Long before the other sleeper ends (no tight bound: parallel suites can hold the two
        // threads of this VM's cooperative pool for seconds).
        #expect(ContinuousClock.now - start < .seconds(250))
        #expect(watcher.keys == ["long"])
        // A child of ours (as a monitor the supervisor launched is) is reaped: no zombie left.
        #expect(!Self.isUnreaped(short))
    }

    @Test("a forgotten process is not reported; kill -9 of a watched one is")
    func forget() async throws {
        let watcher = try ProcessWatcher()
        defer { watcher.close() }
        let a = try Self.spawn(["/bin/sleep", "30"])
        let b = try Self.spawn(["/bin/sleep", "30"])
        try watcher.watch(a, key: "a")
        try watcher.watch(b, key: "b")
        watcher.forget("a")
        kill(a, SIGKILL)
        kill(b, SIGKILL)
        var iterator = watcher.exits.makeAsyncIterator()
        #expect(await iterator.next() == "b")
        _ = try Processes.wait(a, stage: "test")
        #expect(watcher.keys.isEmpty)
    }

    @Test("watching a process that does not exist throws naming it")
    func missing() throws {
        let watcher = try ProcessWatcher()
        defer { watcher.close() }
        let pid = try Self.spawn(["/bin/true"])
        _ = try Processes.wait(pid, stage: "test")
        #expect(throws: SupervisorError.self) { try watcher.watch(pid, key: "gone") }
    }
}
