import Engine
import EngineAPI
import Foundation
import SystemSupport
import Testing

/// The lifecycle as the unprivileged `berth-test` user: the test (root) re-runs this test bundle
/// as that user, where `child` drives a `LocalEngine` over directories the user owns.
@Suite("LocalEngine rootless")
struct LocalEngineRootlessTests {
    static let childKey = "BERTH_ENGINE_ROOTLESS_AREA"
    static let user = "berth-test"

    static let unavailableReason: String? = {
        if let reason = EngineFixture.unavailableReason { return reason }
        guard getpwnam(user) != nil else { return "no \(user) user (.ci/deps creates it)" }
        let subuid = (try? String(contentsOfFile: "/etc/subuid", encoding: .utf8)) ?? ""
        if !subuid.contains(user + ":") { return "\(user) has no /etc/subuid range (.ci/deps adds it)" }
        if !FileManager.default.isExecutableFile(atPath: "/usr/bin/newuidmap") { return "newuidmap is missing (uidmap package)" }
        return nil
    }()

    @Test("as an unprivileged user: create, start, stop with SIGTERM honoured, remove leaves nothing",
          .enabled(if: unavailableReason == nil, "\(unavailableReason ?? "")"))
    func rootless() throws {
        let area = NSTemporaryDirectory() + "berth-engine-rootless-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: area) }
        for directory in ["bin", "host", "out"] {
            try FileManager.default.createDirectory(atPath: area + "/" + directory, withIntermediateDirectories: true)
        }
        // The build may sit where the user cannot read it: the user runs copies.
        let bundle = URL(fileURLWithPath: EngineFixture.productsDirectory + "/BerthPackageTests.xctest").path
        for (source, name) in [(bundle, "tests"), (EngineFixture.initPath, "berth-init")] {
            #expect(try EngineFixture.run(["/bin/cp", source, area + "/bin/" + name]) == 0)
        }
        #expect(try EngineFixture.run(["/bin/chown", "-R", Self.user, area]) == 0)
        let status = try EngineFixture.run([
            "/usr/sbin/runuser", "-u", Self.user, "--", "/usr/bin/env", "\(Self.childKey)=\(area)", "HOME=\(area)",
            "/bin/sh", "-c", "exec \"$0\" \"$@\" > \(area)/out/log 2>&1",
            area + "/bin/tests", "--testing-library", "swift-testing", "--filter", "EngineTests.LocalEngineRootlessTests/child",
        ])
        let log = (try? String(contentsOfFile: area + "/out/log", encoding: .utf8)) ?? ""
        #expect(status == 0, "\(log)")
        #expect(log.contains("Test run with 1 test"), "the child test ran: \(log)")
    }

    @Test("the unprivileged half of the rootless test (runs only inside it)",
          .enabled(if: ProcessInfo.processInfo.environment[childKey] != nil && getuid() != 0,
                   "runs only as \(user), started by the rootless test"))
    func child() async throws {
        let area = ProcessInfo.processInfo.environment[Self.childKey] ?? ""
        let engine = try LocalEngine(locations: EngineLocations(data: area + "/data", runtime: area + "/run"),
                                     initPath: area + "/bin/berth-init")
        let imageID = try await engine.ensureImage(EngineFixture.busybox, policy: .missing)
        var spec = ContainerSpec(name: "demo-app-1", image: EngineFixture.busybox, imageID: imageID)
        spec.labels = [ResourceLabels.project: "demo", ResourceLabels.service: "app"]
        spec.command = ["sh", "-c", "trap 'exit 0' TERM; echo hello from rootless; echo up > /out/ran; while true; do busybox sleep 1 & wait; done"]
        spec.mounts = [.init(kind: .bind, source: area + "/host", target: "/out")]
        let id = try await engine.createContainer(spec)
        try await engine.startContainer(id: id)
        #expect(try await engine.observe(project: "demo").containers.first?.state == .running)
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: area + "/host/ran") { try await Task.sleep(for: .milliseconds(50)) }
        #expect(FileManager.default.fileExists(atPath: area + "/host/ran"), "the container wrote through its bind mount")

        // The monitor, running as the user, captures the container's output. It writes the line
        // to the log on its own schedule, possibly after the container wrote /out/ran.
        var log = ContainerLogReader(path: engine.locations.log(id)).readAll()
        for _ in 0..<200 where log.isEmpty {
            try await Task.sleep(for: .milliseconds(50))
            log = ContainerLogReader(path: engine.locations.log(id)).readAll()
        }
        #expect(log.map(\.text) == ["hello from rootless\n"])

        try await engine.stopContainer(id: id, signal: "SIGTERM", gracePeriod: 10)
        let stopped = try await engine.observe(project: "demo").containers.first
        #expect(stopped?.state == .exited)
        #expect(stopped?.exitCode == 0)
        try await engine.removeContainer(id: id, force: false, removeAnonymousVolumes: true)
        #expect(try await engine.observe(project: "demo").containers.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: area + "/run/containers/" + id))
        #expect(!FileManager.default.fileExists(atPath: area + "/data/containers/" + id))
    }
}
