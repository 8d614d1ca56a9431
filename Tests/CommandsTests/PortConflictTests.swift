import Foundation
import Testing
@testable import Engine

/// Issue 5, "a port already in use fails `up` with the port and what holds it; nothing
/// half-started is left", through the binary as root: `up` checks the fixed host ports before it
/// creates anything, and does not count the ports its own supervisor already holds.
@Suite("a port already in use", .serialized,
       .enabled(if: ContainerFixture.unavailableReason == nil, "\(ContainerFixture.unavailableReason ?? "")"))
struct PortConflictTests {
    /// A TCP listener of this test process on 127.0.0.1:`port`, closed on release.
    final class Listener {
        let fd: Int32
        init?(port: Int) {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in(sin_family: sa_family_t(AF_INET), sin_port: UInt16(port).bigEndian,
                                      sin_addr: in_addr(s_addr: UInt32(0x7f00_0001).bigEndian), sin_zero: (0, 0, 0, 0, 0, 0, 0, 0))
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard fd >= 0, bound == 0, listen(fd, 8) == 0 else {
                if fd >= 0 { close(fd) }
                return nil
            }
        }
        deinit { close(fd) }
    }

    static func links() -> Set<String> {
        let text = NetworkLeakTests.procFile("/proc/net/dev")
        return Set(text.split(separator: "\n").dropFirst(2).compactMap {
            $0.split(separator: ":").first.map { $0.trimmingCharacters(in: .whitespaces) }
        })
    }

    @Test("up -d fails naming the port and the process holding it, before creating anything; its own supervisor's port does not count")
    func portHeldByAnotherProcess() async throws {
        let port = PublishedPortsTests.freePort()
        let project = try PublishedPortsTests.Project("services:\n" + PublishedPortsTests.web(port: port))
        do {
            let listener = try #require(Listener(port: port), "bind 127.0.0.1:\(port)")
            let up = try project.run(["up", "-d"])
            #expect(up.status == 1, "up -d with port \(port) taken: \(up.stdout)\(up.stderr)")
            #expect(up.stderr.contains("port \(port)/tcp is already in use"), "the error names the port: \(up.stderr)")
            #expect(up.stderr.contains("pid \(getpid())"), "the error names the holder, this test (pid \(getpid())): \(up.stderr)")
            let ps = try project.run(["ps", "-a", "-q"])
            #expect(ps.status == 0 && ps.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "no container was created: \(ps.stdout)\(ps.stderr)")
            #expect(!Self.links().contains(LocalEngine.bridgeName("\(project.name)_default")), "no bridge was made")
            withExtendedLifetime(listener) {}
        }

        // Released, the same up succeeds; recreating while the project's supervisor holds the
        // port is not a conflict, and the port still answers after it.
        let second = try project.run(["up", "-d"])
        #expect(second.status == 0, "\(second.stderr)")
        let recreate = try project.run(["up", "-d", "--force-recreate"])
        #expect(recreate.status == 0, "the project's own forwarder is no conflict: \(recreate.stderr)")
        var body: String?
        for _ in 0..<50 {
            body = PublishedPortsTests.httpGet(port: port)
            if body?.contains("served") == true { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(body?.contains("served") == true, "GET 127.0.0.1:\(port) after the recreate: \(body ?? "nothing answered")")
    }
}
