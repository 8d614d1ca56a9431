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

    static func footprint(bridge: String, veths: Set<String>, port: Int, directory: String) -> Footprint {
        let dev = (try? String(contentsOfFile: "/proc/net/dev", encoding: .utf8)) ?? ""
        let links = dev.split(separator: "\n").dropFirst(2).compactMap { line -> String? in
            guard let name = line.split(separator: ":").first?.trimmingCharacters(in: .whitespaces) else { return nil }
            return name == bridge || veths.contains { name.hasPrefix($0) } ? name : nil
        }
        var listeners = 0
        let hexPort = String(format: "%04X", port)
        for table in ["tcp", "tcp6", "udp", "udp6"] {
            let text = (try? String(contentsOfFile: "/proc/net/\(table)", encoding: .utf8)) ?? ""
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
