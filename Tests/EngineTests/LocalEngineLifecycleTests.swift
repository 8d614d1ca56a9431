import Engine
import EngineAPI
import Foundation
import Testing

/// Real containers through `LocalEngine`, as root, from the busybox fixture image.
@Suite("LocalEngine lifecycle", .enabled(if: EngineFixture.unavailableReason == nil, "\(EngineFixture.unavailableReason ?? "")"))
struct LocalEngineLifecycleTests {
    /// Exits 0 on SIGTERM; without the trap, sh as PID 1 would ignore TERM and be killed after
    /// the grace period (137).
    static let politeServer = ["sh", "-c", "trap 'exit 0' TERM; while true; do busybox sleep 1 & wait; done"]

    @Test("create, start, stop with SIGTERM honoured, and remove leaves no bundle, layer, record or mount")
    func lifecycle() async throws {
        let area = try EngineFixture.Area()
        defer { area.remove() }
        let engine = area.engine
        let id = try await engine.createContainer(try await area.spec("demo-app-1", command: Self.politeServer))
        #expect(try await area.observed(id)?.state == .created)

        try await engine.startContainer(id: id)
        let running = try await area.observed(id)
        #expect(running?.state == .running)
        #expect(running?.service == "app")
        #expect(running?.imageReference == EngineFixture.busybox)

        let started = ContinuousClock.now
        try await engine.stopContainer(id: id, signal: "SIGTERM", gracePeriod: 10)
        #expect(ContinuousClock.now - started < .seconds(5), "TERM ended it well before the grace period ran out")
        let stopped = try await area.observed(id)
        #expect(stopped?.state == .exited)
        #expect(stopped?.exitCode == 0, "the trap's exit 0, not 137 from SIGKILL")
        try await engine.stopContainer(id: id, signal: "SIGTERM", gracePeriod: 10)  // stopping again is not an error

        let bundle = area.locations.runtime + "/containers/" + id
        let layer = area.locations.data + "/containers/" + id
        #expect(FileManager.default.fileExists(atPath: bundle + "/config.json"))
        try await engine.removeContainer(id: id, force: false, removeAnonymousVolumes: true)
        #expect(!FileManager.default.fileExists(atPath: bundle), "bundle removed")
        #expect(!FileManager.default.fileExists(atPath: layer), "upper and work dirs removed")
        #expect(!FileManager.default.fileExists(atPath: area.locations.runtime + "/runtime/" + id), "runtime state removed")
        #expect(try await engine.observe(project: "demo").containers.isEmpty, "record removed")
        let mounts = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
        #expect(!mounts.contains(area.path), "no mount under the test area is left on the host")
        try await engine.removeContainer(id: id, force: false, removeAnonymousVolumes: true)  // absent is not an error
    }

    @Test("a container whose process ends shows exited with its code, and starts again over its own files")
    func exitCodeAndRestart() async throws {
        let area = try EngineFixture.Area()
        defer { area.remove() }
        var spec = try await area.spec("demo-job-1", command: ["sh", "-c", "echo run >> /runs; cat /runs > /out/runs; exit 3"])
        spec.mounts = [.init(kind: .bind, source: area.host, target: "/out")]
        let id = try await area.engine.createContainer(spec)
        try await area.engine.startContainer(id: id)
        let first = try await area.waitForExit(id)
        #expect(first?.state == .exited)
        #expect(first?.exitCode == 3)

        try await area.engine.startContainer(id: id)
        let second = try await area.waitForExit(id)
        #expect(second?.exitCode == 3)
        let runs = try String(contentsOfFile: area.host + "/runs", encoding: .utf8)
        #expect(runs == "run\nrun\n", "the second run saw the file the first wrote in the container's upper dir")
        try await area.engine.removeContainer(id: id, force: false, removeAnonymousVolumes: true)
    }

    @Test("a bind mount and a named volume are visible inside, and the volume outlives its container")
    func bindAndVolume() async throws {
        let area = try EngineFixture.Area()
        defer { area.remove() }
        let engine = area.engine
        try await engine.createVolume(VolumeSpec(name: "demo_data", labels: [ResourceLabels.project: "demo", ResourceLabels.volume: "data"]))
        try "from the host\n".write(toFile: area.host + "/input", atomically: true, encoding: .utf8)

        var writer = try await area.spec("demo-writer-1", command: ["sh", "-c", "cat /in/input > /data/kept && echo written > /in/output"])
        writer.mounts = [.init(kind: .bind, source: area.host, target: "/in"), .init(kind: .volume, source: "demo_data", target: "/data")]
        let first = try await engine.createContainer(writer)
        try await engine.startContainer(id: first)
        #expect(try await area.waitForExit(first)?.exitCode == 0)
        #expect(try String(contentsOfFile: area.host + "/output", encoding: .utf8) == "written\n", "the container wrote through the bind mount")
        try await engine.removeContainer(id: first, force: false, removeAnonymousVolumes: true)

        var reader = try await area.spec("demo-reader-1", command: ["sh", "-c", "cat /data/kept > /out/read"])
        reader.mounts = [.init(kind: .bind, source: area.host, target: "/out"), .init(kind: .volume, source: "demo_data", target: "/data", readOnly: true)]
        let second = try await engine.createContainer(reader)
        try await engine.startContainer(id: second)
        #expect(try await area.waitForExit(second)?.exitCode == 0)
        #expect(try String(contentsOfFile: area.host + "/read", encoding: .utf8) == "from the host\n", "the volume kept what the first container wrote")
        let volumes = try await engine.observe(project: "demo").volumes
        #expect(volumes.map(\.name) == ["demo_data"])
        await #expect(throws: EngineError.self, "a volume in use cannot be removed") {
            try await engine.removeVolume(name: "demo_data")
        }
        try await engine.removeContainer(id: second, force: false, removeAnonymousVolumes: true)
        try await engine.removeVolume(name: "demo_data")
        #expect(try await engine.observe(project: "demo").volumes.isEmpty)
    }

    @Test("removing a running container needs force")
    func removeRunning() async throws {
        let area = try EngineFixture.Area()
        defer { area.remove() }
        let id = try await area.engine.createContainer(try await area.spec("demo-app-1", command: Self.politeServer))
        try await area.engine.startContainer(id: id)
        await #expect {
            try await area.engine.removeContainer(id: id, force: false, removeAnonymousVolumes: false)
        } throws: { ($0 as? EngineError)?.code == .conflict }
        try await area.engine.removeContainer(id: id, force: true, removeAnonymousVolumes: false)
        #expect(try await area.engine.observe(project: "demo").containers.isEmpty)
    }
}

extension LocalEngineLifecycleTests {
    @Test("a container on no network has a network namespace of its own with only the loopback interface, up")
    func loopbackOnly() async throws {
        let area = try EngineFixture.Area()
        defer { area.remove() }
        var spec = try await area.spec("demo-net-1", command: ["sh", "-c", "ls /sys/class/net > /out/interfaces; cat /sys/class/net/lo/flags > /out/flags"])
        spec.mounts = [.init(kind: .bind, source: area.host, target: "/out")]
        let id = try await area.engine.createContainer(spec)
        try await area.engine.startContainer(id: id)
        #expect(try await area.waitForExit(id)?.exitCode == 0)
        #expect(try String(contentsOfFile: area.host + "/interfaces", encoding: .utf8) == "lo\n")
        let flags = try String(contentsOfFile: area.host + "/flags", encoding: .utf8)
        let value = Int(flags.trimmingCharacters(in: .whitespacesAndNewlines).dropFirst(2), radix: 16) ?? 0
        #expect(value & 0x1 != 0, "lo is up (IFF_UP), flags \(flags)")
        try await area.engine.removeContainer(id: id, force: false, removeAnonymousVolumes: true)
    }
}

extension LocalEngineLifecycleTests {
    @Test("pause shows paused and stops the container's progress; unpause resumes it")
    func pauseAndUnpause() async throws {
        let area = try EngineFixture.Area()
        defer { area.remove() }
        var spec = try await area.spec("demo-ticker-1", command: ["sh", "-c", "trap 'exit 0' TERM; while true; do echo tick >> /out/ticks; busybox sleep 0.1 & wait; done"])
        spec.mounts = [.init(kind: .bind, source: area.host, target: "/out")]
        let id = try await area.engine.createContainer(spec)
        try await area.engine.startContainer(id: id)
        try await Task.sleep(for: .milliseconds(300))

        try await area.engine.pauseContainer(id: id)
        let paused = try await area.observed(id)
        #expect(paused?.state == .paused, "\(String(describing: paused))")
        // A write that was in the kernel when the freeze began may still land.
        try await Task.sleep(for: .milliseconds(100))
        let frozen = try String(contentsOfFile: area.host + "/ticks", encoding: .utf8)
        try await Task.sleep(for: .milliseconds(500))
        #expect(try String(contentsOfFile: area.host + "/ticks", encoding: .utf8) == frozen, "no tick while paused")

        try await area.engine.unpauseContainer(id: id)
        #expect(try await area.observed(id)?.state == .running)
        try await Task.sleep(for: .milliseconds(500))
        #expect(try String(contentsOfFile: area.host + "/ticks", encoding: .utf8).count > frozen.count, "ticking again")

        try await area.engine.stopContainer(id: id, signal: "TERM", gracePeriod: 5)
        #expect(try await area.observed(id)?.exitCode == 0)
        try await area.engine.removeContainer(id: id, force: false, removeAnonymousVolumes: true)
    }
}
