import Engine
import EngineAPI
import Foundation
import SystemSupport
import Testing

/// A `LocalEngine` over temporary directories, with the busybox test image imported through
/// `oci:`. Built by `Tests/ImagesTests/Fixtures/build-images.sh`, once per test process.
enum EngineFixture {
    static let productsDirectory: String = {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        return URL(fileURLWithPath: exe).deletingLastPathComponent().path
    }()

    static var initPath: String { productsDirectory + "/berth-init" }

    /// The OCI layouts the fixture script builds (`busybox`, `multilayer`, …), or nil. The
    /// script is deterministic, so the layouts are built once per machine (into a scratch
    /// directory, then renamed into place) and reused by later runs.
    static let images: String? = {
        let output = NSTemporaryDirectory() + "berth-engine-images"
        if FileManager.default.fileExists(atPath: output + "/busybox/index.json") { return output }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../ImagesTests/Fixtures/build-images.sh").standardized.path
        let scratch = output + ".\(getpid())"
        guard (try? run(["/bin/bash", script, scratch])) == 0 else { return nil }
        if rename(scratch, output) != 0 { try? FileManager.default.removeItem(atPath: scratch) }  // another run won
        return FileManager.default.fileExists(atPath: output + "/busybox/index.json") ? output : nil
    }()

    /// Why real containers cannot run here, or nil when they can.
    static let unavailableReason: String? = {
        if getuid() != 0 { return "engine container tests run as root (CI runs them as root)" }
        if !FileManager.default.isExecutableFile(atPath: initPath) {
            return "\(initPath) is missing: run `swift build --product berth-init` before `swift test`"
        }
        if !FileManager.default.isExecutableFile(atPath: "/bin/busybox") { return "/bin/busybox is missing (busybox-static, see .ci/deps)" }
        if images == nil { return "build-images.sh failed (needs tar, gzip, zstd, busybox-static)" }
        return nil
    }()

    static var busybox: String { "oci:" + (images ?? "/nonexistent") + "/busybox" }

    static func run(_ arguments: [String]) throws -> Int32 {
        let null = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { close(null) }
        let pid = try Spawn.spawn(arguments[0], arguments: arguments, options: .init(descriptors: [0: null, 1: null, 2: null],
                                                                       environment: ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }),
                                  stage: "test")
        return try Processes.wait(pid, stage: "test").shellCode
    }

    /// A fresh engine over its own data and runtime directories.
    struct Area {
        var path: String
        var engine: LocalEngine
        var locations: EngineLocations { engine.locations }

        init() throws {
            path = NSTemporaryDirectory() + "berth-engine-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createDirectory(atPath: path + "/host", withIntermediateDirectories: true)
            engine = try LocalEngine(locations: EngineLocations(data: path + "/data", runtime: path + "/run"), initPath: EngineFixture.initPath)
        }

        /// A host directory for bind mounts.
        var host: String { path + "/host" }

        /// A spec for the busybox image labelled as service `service` of project `project`.
        func spec(_ name: String, command: [String], project: String = "demo", service: String = "app") async throws -> ContainerSpec {
            let imageID = try await engine.ensureImage(EngineFixture.busybox, policy: .missing)
            var spec = ContainerSpec(name: name, image: EngineFixture.busybox, imageID: imageID)
            spec.command = command
            spec.labels = [ResourceLabels.project: project, ResourceLabels.service: service, ResourceLabels.containerNumber: "1"]
            return spec
        }

        /// The container `id` as `observe` reports it.
        func observed(_ id: String, project: String = "demo") async throws -> ObservedContainer? {
            try await engine.observe(project: project).containers.first { $0.id == id }
        }

        /// Polls `observe` until the container has exited (10 s at most).
        func waitForExit(_ id: String, project: String = "demo") async throws -> ObservedContainer? {
            for _ in 0..<200 {
                if let container = try await observed(id, project: project), container.state == .exited { return container }
                try await Task.sleep(for: .milliseconds(50))
            }
            return try await observed(id, project: project)
        }

        func remove() { try? FileManager.default.removeItem(atPath: path) }
    }
}
