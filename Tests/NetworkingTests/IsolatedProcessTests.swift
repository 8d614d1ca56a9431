import Foundation
import SystemSupport
import Testing
@testable import Networking

/// Checks that need a process of their own: counting descriptors (other suites open and close
/// theirs in parallel) and binding as an unprivileged user. The test re-runs this test bundle
/// with `BERTH_NETWORKING_CHILD` set and a filter that selects one `child…` test.
@Suite("Networking in a process of its own", .serialized)
struct IsolatedProcessTests {
    static let childKey = "BERTH_NETWORKING_CHILD"
    static let user = "berth-test"
    static var isChild: Bool { ProcessInfo.processInfo.environment[childKey] != nil }

    static func runChild(_ test: String, as user: String? = nil) throws -> (status: Int32, log: String) {
        let area = NSTemporaryDirectory() + "berth-networking-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: area, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: area) }
        var bundle = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        var command: [String] = []
        if let user {
            // The build may sit where the user cannot read it: the user runs a copy.
            // Copied by cp, not in this process: a descriptor open for writing here could leak into
            // a child spawned meanwhile and make the copy "text file busy".
            let copy = area + "/tests"
            #expect(try wait(spawn(["/bin/cp", bundle, copy])) == 0)
            bundle = copy
            chmod(area, 0o755)
            command = ["/usr/sbin/runuser", "-u", user, "--"]
        }
        command += ["/usr/bin/env", "\(childKey)=1", "HOME=\(area)", "/bin/sh", "-c", "exec \"$0\" \"$@\" > \(area)/log 2>&1",
                    bundle, "--testing-library", "swift-testing", "--filter", "NetworkingTests.IsolatedProcessTests/\(test)"]
        if user != nil { chmod(area, 0o777) }
        let status = try wait(spawn(command))
        let log = (try? String(contentsOfFile: area + "/log", encoding: .utf8)) ?? ""
        return (status, log)
    }

    static func spawn(_ command: [String]) throws -> pid_t {
        let null = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { close(null) }
        let environment = ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }
        return try Spawn.spawn(command[0], arguments: command,
                               options: .init(descriptors: [0: null, 1: null, 2: null], environment: environment), stage: "test")
    }

    static func wait(_ pid: pid_t) throws -> Int32 { try Processes.wait(pid, stage: "test").shellCode }

    @Test("after shutdown, DNS servers, forwarders and their relays leave no descriptor open",
          .enabled(if: !isChild, "the parent half"))
    func noLeaks() throws {
        let (status, log) = try Self.runChild("childNoLeaks()")
        #expect(status == 0, "\(log)")
        #expect(log.contains("Test run with 1 test"), "the child test ran: \(log)")
    }

    @Test("the counting half of the leak test (runs only inside it)", .enabled(if: isChild, "runs only in the child process"))
    func childNoLeaks() throws {
        let echo = try TCPEchoServer()
        let udpEcho = try UDPServer(.echo)
        // Warm up what allocates descriptors once per process (the thread pool, /proc readers).
        try exercise(echo: echo.address, udp: udpEcho.address)
        // The echo server's connection threads close their side a moment after the client saw
        // the echo: wait until the count settles.
        var before = TestNet.openDescriptors()
        for _ in 0..<100 {
            usleep(50_000)
            let now = TestNet.openDescriptors()
            if now == before { break }
            before = now
        }
        for _ in 0..<3 { try exercise(echo: echo.address, udp: udpEcho.address) }
        var after = TestNet.openDescriptors()
        for _ in 0..<100 where after != before {
            usleep(20_000)
            after = TestNet.openDescriptors()
        }
        #expect(after == before, "descriptors before: \(before.count), after: \(after.count)")
    }

    @Test("idle DNS servers, forwarders, an open connection and a UDP flow use no CPU (no busy loop)",
          .enabled(if: !isChild, "the parent half"))
    func idle() throws {
        let (status, log) = try Self.runChild("childIdle()")
        #expect(status == 0, "\(log)")
        #expect(log.contains("Test run with 1 test"), "the child test ran: \(log)")
    }

    @Test("the measuring half of the idle test (runs only inside it)", .enabled(if: isChild, "runs only in the child process"))
    func childIdle() throws {
        let echo = try TCPEchoServer()
        let udpEcho = try UDPServer(.echo)
        let services = NetworkServices(configuration: .init(dns: .init(upstreams: []), forwarding: .init(udpIdleTimeout: 30)))
        defer { services.shutdown() }
        let published = try services.apply(.init(
            networks: ["a": .init(listen: SocketAddress(IPAddress("127.0.10.1") ?? .loopbackIPv4, 0), names: DNSNameTable())],
            ports: [.init(container: "c", proto: .tcp, hostIP: .loopbackIPv4, hostPorts: [], target: echo.address),
                    .init(container: "c", proto: .udp, hostIP: .loopbackIPv4, hostPorts: [], target: udpEcho.address)]))
        let tcp = try #require(published.first { $0.proto == .tcp })
        let udp = try #require(published.first { $0.proto == .udp })
        let open = try TestNet.connectTCP(tcp.host)
        defer { close(open) }
        _ = TestNet.writeAll(open, [1])
        #expect(TestNet.readExactly(open, 1) == [1])
        #expect(TestNet.exchange([2], with: udp.host) == [2])

        func cpuSeconds() -> Double {
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        }
        let before = cpuSeconds()
        usleep(1_000_000)
        let used = cpuSeconds() - before
        #expect(used < 0.05, "CPU used by idle services in 1 s: \(used) s")
    }

    private func exercise(echo: SocketAddress, udp: SocketAddress) throws {
        let services = NetworkServices(configuration: .init(dns: .init(upstreams: [])))
        let published = try services.apply(.init(
            networks: ["proj_default": .init(listen: SocketAddress(IPAddress("127.0.10.1") ?? .loopbackIPv4, 0),
                                             names: DNSNameTable(["web": [IPAddress("10.89.0.2") ?? .anyIPv4]]))],
            ports: [.init(container: "web-1", proto: .tcp, hostIP: .loopbackIPv4, hostPorts: [], target: echo),
                    .init(container: "web-1", proto: .udp, hostIP: .loopbackIPv4, hostPorts: [], target: udp)]))
        let tcp = try #require(published.first { $0.proto == .tcp })
        let udp = try #require(published.first { $0.proto == .udp })
        #expect(TestNet.exchange([4, 5], with: udp.host) == [4, 5])
        let fds = try (0..<20).map { _ in try TestNet.connectTCP(tcp.host) }
        for fd in fds {
            _ = TestNet.writeAll(fd, [1, 2, 3])
            shutdown(fd, Int32(SHUT_WR))
            #expect(TestNet.readToEnd(fd) == [1, 2, 3])
            close(fd)
        }
        // One connection stays open across the shutdown: the forwarder must close its side.
        let open = try TestNet.connectTCP(tcp.host)
        defer { close(open) }
        _ = TestNet.writeAll(open, [9])
        #expect(TestNet.readToEnd(open, limit: 1) == [9])
        services.shutdown()
    }

    static let unprivilegedReason: String? = {
        if getuid() != 0 { return "runs as root, to re-run the bundle as \(user)" }
        if getpwnam(user) == nil { return "no \(user) user (.ci/deps creates it)" }
        if PortProblem.unprivilegedPortStart() == 0 { return "net.ipv4.ip_unprivileged_port_start is 0: every port is unprivileged" }
        return nil
    }()

    @Test("as an unprivileged user, a port below ip_unprivileged_port_start is refused with the sysctl named",
          .enabled(if: !isChild && unprivilegedReason == nil, "\(unprivilegedReason ?? "the parent half")"))
    func privilegedPort() throws {
        let (status, log) = try Self.runChild("childPrivilegedPort()", as: Self.user)
        #expect(status == 0, "\(log)")
        #expect(log.contains("Test run with 1 test"), "the child test ran: \(log)")
    }

    @Test("the unprivileged half (runs only inside it)", .enabled(if: isChild && getuid() != 0, "runs only in the child process"))
    func childPrivilegedPort() throws {
        let port = PortProblem.unprivilegedPortStart() - 1
        do {
            let forwarder = try PortForwarder(proto: .tcp, listen: SocketAddress(.loopbackIPv4, port), target: SocketAddress(.loopbackIPv4, 80))
            forwarder.shutdown()
            Issue.record("bound port \(port) unprivileged")
        } catch {
            #expect(error.code == .privilegedPort)
            #expect(error.description.contains("net.ipv4.ip_unprivileged_port_start"), "\(error)")
            #expect(error.description.contains("\(port)"), "\(error)")
        }
    }
}
