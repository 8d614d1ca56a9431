import Foundation
import Synchronization
import Testing
@testable import Networking

@Suite("Port forwarder")
struct PortForwarderTests {
    static let loopback = SocketAddress(.loopbackIPv4, 0)

    static func payload(_ count: Int, seed: UInt8) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31) ^ seed } }

    @Test("a TCP connection to an ephemeral host port is relayed to the container side and back (4 MiB)")
    func tcpEcho() throws {
        let echo = try TCPEchoServer()
        defer { echo.stop() }
        let forwarder = try PortForwarder(proto: .tcp, listen: Self.loopback, target: echo.address)
        defer { forwarder.shutdown() }
        #expect(forwarder.address.port != 0, "the kernel chose a port and the forwarder reports it")
        #expect(forwarder.address.port != echo.address.port)

        let fd = try TestNet.connectTCP(forwarder.address)
        defer { close(fd) }
        let data = Self.payload(4 << 20, seed: 7)
        // Write from another thread: the echo comes back while we still send.
        let done = DispatchSemaphore(value: 0)
        TestNet.detach {
            _ = TestNet.writeAll(fd, data)
            shutdown(fd, Int32(SHUT_WR))
            done.signal()
        }
        let back = TestNet.readToEnd(fd)
        done.wait()
        #expect(back.count == data.count)
        #expect(back == data)
    }

    @Test("half-close: the client's end of input reaches the server, whose answer still comes back")
    func halfClose() throws {
        // The server answers only after it has read everything: it needs to see the client's FIN.
        let server = SocketAddress(.loopbackIPv4, 0)
        let listener = try Sockets.bound(server, .stream, stage: "test")
        _ = fcntl(listener, F_SETFL, fcntl(listener, F_GETFL) & ~O_NONBLOCK)
        defer { close(listener) }
        let target = try #require(Sockets.localAddress(listener))
        TestNet.detach {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            let request = TestNet.readToEnd(client)
            _ = TestNet.writeAll(client, Array("read \(request.count) bytes".utf8))
            close(client)
        }
        let forwarder = try PortForwarder(proto: .tcp, listen: Self.loopback, target: target)
        defer { forwarder.shutdown() }
        let fd = try TestNet.connectTCP(forwarder.address)
        defer { close(fd) }
        #expect(TestNet.writeAll(fd, Self.payload(100_000, seed: 1)))
        shutdown(fd, Int32(SHUT_WR))
        #expect(String(decoding: TestNet.readToEnd(fd), as: UTF8.self) == "read 100000 bytes")
    }

    @Test("200 connections at once each get their own bytes back")
    func concurrentConnections() throws {
        let echo = try TCPEchoServer()
        defer { echo.stop() }
        let forwarder = try PortForwarder(proto: .tcp, listen: Self.loopback, target: echo.address)
        defer { forwarder.shutdown() }
        let fds = try (0..<200).map { _ in try TestNet.connectTCP(forwarder.address) }
        defer { fds.forEach { close($0) } }
        for (index, fd) in fds.enumerated() {
            #expect(TestNet.writeAll(fd, Self.payload(1000 + index, seed: UInt8(index & 0xff))))
            shutdown(fd, Int32(SHUT_WR))
        }
        for (index, fd) in fds.enumerated() {
            #expect(TestNet.readToEnd(fd) == Self.payload(1000 + index, seed: UInt8(index & 0xff)), "connection \(index)")
        }
        // The relays close once both sides are done.
        for _ in 0..<100 where forwarder.activeRelays > 0 { usleep(10_000) }
        #expect(forwarder.activeRelays == 0)
    }

    @Test("a container side that refuses the connection closes the client's at once, without a hang")
    func refused() throws {
        // A port nothing listens on: bind one and close it.
        let probe = try Sockets.bound(Self.loopback, .stream, stage: "test")
        let closed = try #require(Sockets.localAddress(probe))
        close(probe)
        let forwarder = try PortForwarder(proto: .tcp, listen: Self.loopback, target: closed)
        defer { forwarder.shutdown() }
        let fd = try TestNet.connectTCP(forwarder.address)
        defer { close(fd) }
        let start = Date()
        #expect(TestNet.readToEnd(fd).isEmpty)
        #expect(Date().timeIntervalSince(start) < 2)
    }

    @Test("UDP datagrams go through a flow per client and the replies come back to each client")
    func udpEcho() throws {
        let echo = try UDPServer(.echo)
        defer { echo.stop() }
        let forwarder = try PortForwarder(proto: .udp, listen: Self.loopback, target: echo.address,
                                          options: .init(udpIdleTimeout: 1))
        defer { forwarder.shutdown() }
        #expect(forwarder.address.port != 0)
        for client in 0..<3 {
            let message = Array("datagram from client \(client)".utf8)
            #expect(TestNet.exchange(message, with: forwarder.address) == message)
        }
        #expect(forwarder.activeRelays == 3, "one flow per client address")
        // Idle flows close after the timeout.
        for _ in 0..<300 where forwarder.activeRelays > 0 { usleep(10_000) }
        #expect(forwarder.activeRelays == 0)
    }

    @Test("new connections go to the new target after retarget")
    func retarget() throws {
        let first = try TCPEchoServer()
        defer { first.stop() }
        let forwarder = try PortForwarder(proto: .tcp, listen: Self.loopback, target: first.address)
        defer { forwarder.shutdown() }
        // The second target answers with its own words, so we can tell which one we reached.
        let listener = try Sockets.bound(Self.loopback, .stream, stage: "test")
        _ = fcntl(listener, F_SETFL, fcntl(listener, F_GETFL) & ~O_NONBLOCK)
        defer { close(listener) }
        TestNet.detach {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            _ = TestNet.writeAll(client, Array("second".utf8))
            close(client)
        }
        forwarder.retarget(try #require(Sockets.localAddress(listener)))
        let fd = try TestNet.connectTCP(forwarder.address)
        defer { close(fd) }
        #expect(String(decoding: TestNet.readToEnd(fd), as: UTF8.self) == "second")
    }

    @Test("a host port in use fails with the port and the process that holds it")
    func portInUse() throws {
        let holder = try Sockets.bound(Self.loopback, .stream, stage: "test")
        defer { close(holder) }
        let taken = try #require(Sockets.localAddress(holder))
        do {
            let forwarder = try PortForwarder(proto: .tcp, listen: taken, target: taken)
            forwarder.shutdown()
            Issue.record("bound a port that was in use")
        } catch {
            #expect(error.code == .portInUse)
            #expect(error.description.contains("\(taken.port)/tcp"), "\(error)")
            #expect(error.description.contains("pid \(getpid()) ("), "names this test process: \(error)")
        }
    }

    @Test("an address that is not the host's is refused with what to do")
    func foreignAddress() throws {
        let address = try #require(IPAddress("192.0.2.55"))
        #expect(throws: NetworkingError.self) {
            try PortForwarder(proto: .tcp, listen: SocketAddress(address, 0), target: Self.loopback)
        }
    }
}

@Suite("Port forwarder over IPv6")
struct PortForwarderIPv6Tests {
    static let unavailableReason: String? = {
        guard let fd = try? Sockets.bound(SocketAddress(IPAddress("::1") ?? .anyIPv6, 0), .stream, stage: "probe") else {
            return "the host has no IPv6 loopback (::1 cannot be bound)"
        }
        close(fd)
        return nil
    }()

    @Test("a port published on [::1] relays to an IPv4 container address",
          .enabled(if: unavailableReason == nil, "\(unavailableReason ?? "")"))
    func ipv6Listener() throws {
        let echo = try TCPEchoServer()
        defer { echo.stop() }
        let forwarder = try PortForwarder(proto: .tcp, listen: SocketAddress(try #require(IPAddress("::1")), 0), target: echo.address)
        defer { forwarder.shutdown() }
        #expect(forwarder.address.description.hasPrefix("[::1]:"))
        let fd = try TestNet.connectTCP(forwarder.address)
        defer { close(fd) }
        #expect(TestNet.writeAll(fd, Array("over v6".utf8)))
        shutdown(fd, Int32(SHUT_WR))
        #expect(String(decoding: TestNet.readToEnd(fd), as: UTF8.self) == "over v6")
    }
}

@Suite("Port forwarder connectors and UDP errors")
struct PortForwarderConnectorTests {
    final class Calls: Sendable {
        let targets = Mutex<[String]>([])
    }

    @Test("connections go through the connector it is given (how rootless networks hand in a socket made in their namespace)")
    func usesConnector() throws {
        let echo = try TCPEchoServer()
        defer { echo.stop() }
        let calls = Calls()
        let connector: PortForwarder.Connector = { (proto, target) throws(NetworkingError) -> Int32 in
            calls.targets.withLock { $0.append("\(proto.rawValue) \(target)") }
            return try PortForwarder.directConnector(proto, target)
        }
        let forwarder = try PortForwarder(proto: .tcp, listen: PortForwarderTests.loopback, target: echo.address, connector: connector)
        defer { forwarder.shutdown() }
        let fd = try TestNet.connectTCP(forwarder.address)
        defer { close(fd) }
        _ = TestNet.writeAll(fd, [42])
        shutdown(fd, Int32(SHUT_WR))
        #expect(TestNet.readToEnd(fd) == [42])
        #expect(calls.targets.withLock { $0 } == ["tcp \(echo.address)"])
    }

    @Test("a connector that fails resets the client's connection at once, and the forwarder keeps serving")
    func failingConnector() throws {
        let failing: PortForwarder.Connector = { (_, target) throws(NetworkingError) -> Int32 in
            throw NetworkingError(.system, object: "\(target)", "no namespace")
        }
        let forwarder = try PortForwarder(proto: .tcp, listen: PortForwarderTests.loopback, target: PortForwarderTests.loopback, connector: failing)
        defer { forwarder.shutdown() }
        for _ in 0..<2 {
            let fd = try TestNet.connectTCP(forwarder.address)
            #expect(TestNet.readToEnd(fd).isEmpty)
            close(fd)
        }
        #expect(forwarder.activeRelays == 0)
    }

    @Test("a UDP host port in use fails with the port and the process that holds it")
    func udpPortInUse() throws {
        let holder = try Sockets.bound(PortForwarderTests.loopback, .datagram, stage: "test")
        defer { close(holder) }
        let taken = try #require(Sockets.localAddress(holder))
        do {
            let forwarder = try PortForwarder(proto: .udp, listen: taken, target: taken)
            forwarder.shutdown()
            Issue.record("bound a UDP port that was in use")
        } catch {
            #expect(error.code == .portInUse)
            #expect(error.description.contains("\(taken.port)/udp"), "\(error)")
            #expect(error.description.contains("pid \(getpid()) ("), "\(error)")
        }
    }
}
