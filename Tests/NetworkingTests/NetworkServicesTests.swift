import Foundation
import Testing
@testable import Networking

@Suite("Network services", .serialized)
struct NetworkServicesTests {
    static let dnsAddress = SocketAddress(IPAddress("127.0.10.1") ?? .loopbackIPv4, 0)
    static func ip(_ text: String) -> IPAddress { IPAddress(text) ?? .anyIPv4 }

    /// A port that was free a moment ago.
    static func freePort() throws -> UInt16 {
        let fd = try Sockets.bound(SocketAddress(.loopbackIPv4, 0), .stream, stage: "test")
        defer { close(fd) }
        return Sockets.localAddress(fd)?.port ?? 0
    }

    static func services() -> NetworkServices { NetworkServices(configuration: .init(dns: .init(upstreams: []))) }

    @Test("apply starts a DNS server per network and a forwarder per port; the same description again changes nothing")
    func unchangedApplyDoesNothing() throws {
        let echo = try TCPEchoServer()
        defer { echo.stop() }
        let services = Self.services()
        defer { services.shutdown() }
        let desired = NetworkServices.Desired(
            networks: ["a": .init(listen: Self.dnsAddress, names: DNSNameTable(["web": [Self.ip("10.89.0.2")]])),
                       "b": .init(listen: Self.dnsAddress, names: DNSNameTable(["db": [Self.ip("10.90.0.2")]]))],
            ports: [.init(container: "p-web-1", proto: .tcp, hostIP: .loopbackIPv4, hostPorts: [], target: echo.address)])
        let first = try services.apply(desired)
        #expect(services.status.networks == ["a", "b"])
        let port = try #require(first.first)
        #expect(port.container == "p-web-1" && port.host.port != 0)

        let fd = try TestNet.connectTCP(port.host)
        defer { close(fd) }
        let second = try services.apply(desired)
        #expect(second == first, "the random host port is kept")
        // The connection opened before the second apply still works: nothing was restarted.
        #expect(TestNet.writeAll(fd, [1, 2, 3]))
        shutdown(fd, Int32(SHUT_WR))
        #expect(TestNet.readToEnd(fd) == [1, 2, 3])
    }

    @Test("each network's server answers only that network's names")
    func networksIsolated() throws {
        let services = Self.services()
        defer { services.shutdown() }
        try services.apply(.init(networks: [
            "front": .init(listen: SocketAddress(Self.ip("127.0.10.5"), 0), names: DNSNameTable(["web": [Self.ip("10.89.0.2")]])),
            "back": .init(listen: SocketAddress(Self.ip("127.0.10.6"), 0), names: DNSNameTable(["db": [Self.ip("10.90.0.2")]])),
        ]))
        // The servers bound port 0: find what they got through a second look at the sockets.
        let listeners = services.dnsAddresses
        let front = try #require(listeners["front"]), back = try #require(listeners["back"])
        #expect(TestNet.addresses(try TestNet.ask("web", .a, server: front)) == ["10.89.0.2"])
        #expect(try TestNet.ask("db", .a, server: front, timeout: 0.5)?.flags.responseCode == .serverFailure,
                "db is not on front: forwarded, and with no upstream, SERVFAIL")
        #expect(TestNet.addresses(try TestNet.ask("db", .a, server: back)) == ["10.90.0.2"])
    }

    @Test("a new name table is swapped into the running server, which keeps its socket")
    func tableUpdate() throws {
        let services = Self.services()
        defer { services.shutdown() }
        try services.apply(.init(networks: ["a": .init(listen: Self.dnsAddress, names: DNSNameTable(["web": [Self.ip("10.89.0.2")]]))]))
        let server = try #require(services.dnsAddresses["a"])
        try services.apply(.init(networks: ["a": .init(listen: Self.dnsAddress, names: DNSNameTable(["web": [Self.ip("10.89.0.8")]]))]))
        #expect(services.dnsAddresses["a"] == server)
        #expect(TestNet.addresses(try TestNet.ask("web", .a, server: server)) == ["10.89.0.8"])
        try services.apply(.init())
        #expect(services.status.networks.isEmpty)
        #expect(try TestNet.ask("web", .a, server: server, timeout: 0.3) == nil, "the removed network's server is gone")
    }

    @Test("a recreated container keeps its fixed host port, and new connections reach the new container")
    func recreatedContainer() throws {
        let old = try TCPEchoServer()
        defer { old.stop() }
        let replacement = try TCPEchoServer()
        defer { replacement.stop() }
        let port = try Self.freePort()
        let services = Self.services()
        defer { services.shutdown() }
        try services.apply(.init(ports: [.init(container: "old-id", proto: .tcp, hostIP: .loopbackIPv4, hostPorts: [port], target: old.address)]))
        let published = try services.apply(.init(ports: [.init(container: "new-id", proto: .tcp, hostIP: .loopbackIPv4,
                                                                hostPorts: [port], target: replacement.address)]))
        #expect(published.map(\.container) == ["new-id"])
        #expect(published.first?.host.port == port)
        old.stop()
        let fd = try TestNet.connectTCP(SocketAddress(.loopbackIPv4, port))
        defer { close(fd) }
        _ = TestNet.writeAll(fd, [7])
        shutdown(fd, Int32(SHUT_WR))
        #expect(TestNet.readToEnd(fd) == [7], "reached the replacement (the old server no longer accepts)")
    }

    @Test("a host port range takes its first free port")
    func range() throws {
        let echo = try TCPEchoServer()
        defer { echo.stop() }
        // A port held by the test, whose next port is free.
        var holder: Int32 = -1
        var taken: UInt16 = 0
        for _ in 0..<20 {
            let fd = try Sockets.bound(SocketAddress(.loopbackIPv4, 0), .stream, stage: "test")
            let port = Sockets.localAddress(fd)?.port ?? 0
            if port < 65535, let next = try? Sockets.bound(SocketAddress(.loopbackIPv4, port + 1), .stream, stage: "test") {
                close(next)
                holder = fd
                taken = port
                break
            }
            close(fd)
        }
        defer { close(holder) }
        try #require(holder >= 0, "found a port whose next port is free")
        let services = Self.services()
        defer { services.shutdown() }
        let published = try services.apply(.init(ports: [.init(container: "c", proto: .tcp, hostIP: .loopbackIPv4,
                                                               hostPorts: [taken, taken &+ 1], target: echo.address)]))
        #expect(published.first?.host.port == taken &+ 1)
    }

    @Test("two containers asking for the same host port are refused before anything starts")
    func samePortTwice() throws {
        let services = Self.services()
        defer { services.shutdown() }
        let target = SocketAddress(.loopbackIPv4, 9)
        do {
            try services.apply(.init(ports: [
                .init(container: "a", proto: .tcp, hostIP: .loopbackIPv4, hostPorts: [18999], target: target),
                .init(container: "b", proto: .tcp, hostIP: .loopbackIPv4, hostPorts: [18999], target: target),
            ]))
            Issue.record("apply accepted one host port for two containers")
        } catch {
            #expect(error.code == .conflict)
            #expect(error.message.contains("published by both a and b"), "\(error)")
        }
        #expect(services.status.published.isEmpty)
    }

    @Test("when a port is taken, apply fails naming it and stops what it had started")
    func rollback() throws {
        let echo = try TCPEchoServer()
        defer { echo.stop() }
        let holder = try Sockets.bound(SocketAddress(.loopbackIPv4, 0), .stream, stage: "test")
        defer { close(holder) }
        let taken = try #require(Sockets.localAddress(holder)).port
        let free = try Self.freePort()
        let services = Self.services()
        defer { services.shutdown() }
        do {
            try services.apply(.init(ports: [
                .init(container: "a", proto: .tcp, hostIP: .loopbackIPv4, hostPorts: [free], target: echo.address),
                .init(container: "b", proto: .tcp, hostIP: .loopbackIPv4, hostPorts: [taken], target: echo.address),
            ]))
            Issue.record("apply succeeded with a taken port")
        } catch {
            #expect(error.code == .portInUse)
            #expect(error.object.contains("\(taken)"))
        }
        #expect(services.status.published.isEmpty)
        #expect(throws: (any Error).self, "nothing listens on the port that was started first") {
            try TestNet.connectTCP(SocketAddress(.loopbackIPv4, free))
        }
    }
}

@Suite("Publications from compose's port text")
struct PublicationParsingTests {
    static let target = SocketAddress(IPAddress("10.89.0.2") ?? .anyIPv4, 80)

    static let good: [(String?, String?, String, String, [UInt16], PortForwarder.Proto)] = [
        (nil, "8080", "tcp", "0.0.0.0", [8080], .tcp),
        ("", "", "udp", "0.0.0.0", [], .udp),
        ("127.0.0.1", nil, "tcp", "127.0.0.1", [], .tcp),
        ("::1", "9000-9002", "tcp", "::1", [9000, 9001, 9002], .tcp),
        ("[::]", "53", "udp", "::", [53], .udp),
    ]

    @Test("host IP, port, range and protocol text become a publication", arguments: good)
    func parses(_ hostIP: String?, _ hostPort: String?, _ proto: String, _ ip: String, _ ports: [UInt16], _ parsed: PortForwarder.Proto) throws {
        let publication = try NetworkServices.Desired.Publication(container: "c", hostIP: hostIP, hostPort: hostPort, proto: proto, target: Self.target)
        #expect(publication.hostIP.description == ip)
        #expect(publication.hostPorts == ports)
        #expect(publication.proto == parsed)
    }

    static let bad: [(String?, String?, String, String)] = [
        (nil, "80", "sctp", "protocol sctp cannot be published"),
        ("localhost", "80", "tcp", "localhost is not an IP address"),
        (nil, "90-80", "tcp", "host port 90-80 is not a port or a range"),
        (nil, "0", "tcp", "host port 0 is not a port"),
        (nil, "70000", "tcp", "host port 70000 is not a port"),
        (nil, "80-", "tcp", "host port 80- is not a port"),
    ]

    @Test("bad port text is refused, naming the binding and what is wrong", arguments: bad)
    func refuses(_ hostIP: String?, _ hostPort: String?, _ proto: String, _ message: String) {
        do {
            _ = try NetworkServices.Desired.Publication(container: "c", hostIP: hostIP, hostPort: hostPort, proto: proto, target: Self.target)
            Issue.record("accepted \(hostPort ?? "")/\(proto)")
        } catch {
            #expect(error.code == .invalidAddress)
            #expect(error.message.contains(message), "\(error)")
            #expect(error.object.hasSuffix(":80/\(proto)"), "\(error.object)")
        }
    }
}
