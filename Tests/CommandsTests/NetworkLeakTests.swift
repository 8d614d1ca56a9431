import Foundation
import Testing
@testable import Engine

/// Issue 5, "nothing leaks across repeated up/down", through the binary as root: links,
/// listening sockets and berth processes after 20 `up -d` / `down` cycles are what they were
/// before. Only this test's own are counted: other suites make bridges, listeners and supervisors
/// on the same host at the same time.
@Suite("repeated up and down", .serialized,
       .enabled(if: ContainerFixture.unavailableReason == nil, "\(ContainerFixture.unavailableReason ?? "")"))
struct NetworkLeakTests {
    /// What one project leaves on the host: its bridge and veths, listeners on its published
    /// port, and processes that carry its directory (supervisors and monitors inherit
    /// BERTH_RUNTIME_DIR from `berth`).
    struct Footprint: Equatable, CustomStringConvertible {
        var links: [String]
        var listeners: Int
        var processes: [String]
        var description: String { "links \(links), listeners on the port \(listeners), processes \(processes)" }
    }

    /// A /proc file read to its end: Foundation's `String(contentsOfFile:)` can stop after the
    /// first page of a seq_file such as /proc/net/dev, losing the links listed after it.
    static func procFile(_ path: String) -> String {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return "" }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            bytes += buffer[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func footprint(bridge: String, veths: Set<String>, port: Int, directory: String) -> Footprint {
        let dev = procFile("/proc/net/dev")
        let links = dev.split(separator: "\n").dropFirst(2).compactMap { line -> String? in
            guard let name = line.split(separator: ":").first?.trimmingCharacters(in: .whitespaces) else { return nil }
            return name == bridge || veths.contains { name.hasPrefix($0) } ? name : nil
        }
        var listeners = 0
        let hexPort = String(format: "%04X", port)
        for table in ["tcp", "tcp6", "udp", "udp6"] {
            let text = procFile("/proc/net/\(table)")
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ")
                guard fields.count > 3, fields[1].hasSuffix(":" + hexPort) else { continue }
                if table.hasPrefix("udp") || fields[3] == "0A" { listeners += 1 }
            }
        }
        var processes: [String] = []
        for pid in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where Int32(pid) != nil {
            guard let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ"),
                  String(decoding: environ, as: UTF8.self).contains("BERTH_RUNTIME_DIR=\(directory)/run") else { continue }
            let command = (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? ""
            processes.append(command.replacingOccurrences(of: "\0", with: " "))
        }
        return Footprint(links: links.sorted(), listeners: listeners, processes: processes.sorted())
    }

    @Test("20 up -d / down cycles of two services with a published port leave no link, listener or process behind")
    func twentyCycles() async throws {
        let port = PublishedPortsTests.freePort()
        let project = try PublishedPortsTests.Project("""
            services:
            \(PublishedPortsTests.web(port: port))
              worker:
                image: \(PublishedPortsTests.image)
                command: ["busybox", "sleep", "600"]
            """)
        let bridge = LocalEngine.bridgeName("\(project.name)_default")
        var veths: Set<String> = []
        let before = Self.footprint(bridge: bridge, veths: veths, port: port, directory: project.directory)
        let start = Date()
        for cycle in 0..<20 {
            let up = try project.run(["up", "-d"])
            try #require(up.status == 0, "cycle \(cycle): \(up.stderr)")
            let ids = try project.run(["ps", "-a", "-q"]).stdout.split(separator: "\n")
            veths.formUnion(ids.map { "vb" + $0.prefix(10) })
            let during = Self.footprint(bridge: bridge, veths: veths, port: port, directory: project.directory)
            // What is counted after is really there while up: the bridge, two veths, the forwarder, the supervisor.
            #expect(during.links.contains(bridge) && during.links.count >= 3 && during.listeners > 0 && !during.processes.isEmpty,
                    "cycle \(cycle) is really up: \(during)")
            let down = try project.run(["down", "-t", "0"])
            try #require(down.status == 0, "cycle \(cycle): \(down.stderr)")
        }
        let seconds = Date().timeIntervalSince(start)
        // A supervisor leaves once `down` has told it to; give it a moment to be gone.
        var after = Self.footprint(bridge: bridge, veths: veths, port: port, directory: project.directory)
        for _ in 0..<30 where after != before {
            try await Task.sleep(for: .milliseconds(100))
            after = Self.footprint(bridge: bridge, veths: veths, port: port, directory: project.directory)
        }
        #expect(after == before, "before: \(before)\nafter 20 cycles (\(Int(seconds)) s): \(after)")
        #expect(veths.count == 40, "each cycle made two containers: \(veths.count)")
    }
}

/// The same as the unprivileged `berth-test` user, where the bridges live in the per-user
/// network namespace: after the cycles its holder is gone with everything in it.
@Suite("repeated up and down, rootless", .serialized)
struct NetworkLeakRootlessTests {
    @Test("20 rootless up -d / down cycles leave no listener, no process and no per-user namespace behind",
          .enabled(if: UpNetworksRootlessTests.unavailableReason == nil, "\(UpNetworksRootlessTests.unavailableReason ?? "")"))
    func tenCycles() throws {
        let directory = try temporaryDirectory([:])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let products = URL(fileURLWithPath: BerthBinary.path).deletingLastPathComponent().path
        for name in ["berth", "berth-init"] {
            try copyExecutable(products + "/" + name, to: directory + "/" + name)
        }
        try FileManager.default.createDirectory(atPath: directory + "/xdg", withIntermediateDirectories: true)
        let port = PublishedPortsTests.freePort()
        try Data("""
            name: rl\(UUID().uuidString.prefix(8).lowercased())
            services:
            \(PublishedPortsTests.web(port: port))
              worker:
                image: \(PublishedPortsTests.image)
                command: ["busybox", "sleep", "600"]
            """.utf8).write(to: URL(fileURLWithPath: directory + "/compose.yaml"))
        let chown = Process()
        chown.executableURL = URL(fileURLWithPath: "/bin/chown")
        chown.arguments = ["-R", UpNetworksRootlessTests.user, directory]
        try chown.run()
        chown.waitUntilExit()
        let log = { (try? String(contentsOfFile: directory + "/out.log", encoding: .utf8)) ?? "" }

        // Processes of this test's user session: supervisors, monitors and the namespace holder
        // carry its XDG_RUNTIME_DIR.
        func footprint() -> NetworkLeakTests.Footprint {
            var found = NetworkLeakTests.footprint(bridge: "", veths: [], port: port, directory: "/nonexistent")
            for pid in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where Int32(pid) != nil {
                guard let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ"),
                      String(decoding: environ, as: UTF8.self).contains("XDG_RUNTIME_DIR=\(directory)/xdg") else { continue }
                found.processes.append(((try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? "").replacingOccurrences(of: "\0", with: " "))
            }
            found.processes.sort()
            return found
        }
        let pidFile = directory + "/xdg/berth/netns/netns.pid"
        let before = footprint()
        var holders: Set<Int32> = []
        for cycle in 0..<20 {
            try #require(try UpNetworksRootlessTests.run(["./berth", "up", "-d"], in: directory) == 0, "cycle \(cycle): \(log())")
            let during = footprint()
            #expect(during.listeners > 0 && !during.processes.isEmpty, "cycle \(cycle) is really up: \(during)")
            if let holder = (try? String(contentsOfFile: pidFile, encoding: .utf8)).flatMap({ Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }) {
                holders.insert(holder)
            }
            try #require(try UpNetworksRootlessTests.run(["./berth", "down", "-t", "0"], in: directory) == 0, "cycle \(cycle): \(log())")
        }
        var after = footprint()
        for _ in 0..<30 where after != before {
            Thread.sleep(forTimeInterval: 0.1)
            after = footprint()
        }
        #expect(after == before, "before: \(before)\nafter 20 cycles: \(after)")
        #expect(!holders.isEmpty, "each cycle ran a per-user namespace holder")
        // A holder that ended but that PID 1 has not reaped yet (a zombie) is gone: this host's
        // init reaps late, which is not Berth's to fix.
        let alive = holders.compactMap { pid -> String? in
            let status = ((try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? "").split(separator: "\n")
            guard let state = status.first(where: { $0.hasPrefix("State:") }), !state.contains("Z (zombie)") else { return nil }
            return "\(pid): " + status.filter { $0.hasPrefix("Name") || $0.hasPrefix("PPid") }.joined(separator: ", ") + ", " + state
        }
        #expect(alive.isEmpty, "no per-user namespace holder outlives down: \(alive) (test pid \(getpid()))")
    }
}
