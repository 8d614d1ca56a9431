import Foundation
import Synchronization
@testable import Networking

/// Blocking sockets and tiny servers for driving the DNS server and the forwarder from tests.
enum TestNet {
    /// Sends one datagram and waits up to `timeout` seconds for one back.
    static func exchange(_ bytes: [UInt8], with server: SocketAddress, timeout: Double = 2) -> [UInt8]? {
        let fd = socket(server.ip.family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        guard server.withSockAddr({ connect(fd, $0, $1) }) == 0 else { return nil }
        guard bytes.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == bytes.count else { return nil }
        return receive(fd, timeout: timeout)
    }

    static func receive(_ fd: Int32, timeout: Double) -> [UInt8]? {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, Int32(timeout * 1000)) == 1 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return n >= 0 ? Array(buffer[0..<n]) : nil
    }

    /// Asks `server` one question; nil on timeout.
    static func ask(_ name: String, _ type: DNSMessage.RecordType, server: SocketAddress, id: UInt16 = 0x1234,
                    timeout: Double = 2) throws -> DNSMessage? {
        let query = DNSMessage(id: id, flags: .init(), questions: [.init(name: name, type: type)])
        guard let reply = exchange(try query.serialized(), with: server, timeout: timeout) else { return nil }
        return try DNSMessage(parsing: reply)
    }

    static func addresses(_ message: DNSMessage?) -> [String] {
        message?.answers.compactMap { if case .address(let ip) = $0.data { ip.description } else { nil } } ?? []
    }

    /// A blocking TCP connection to `address`.
    static func connectTCP(_ address: SocketAddress) throws -> Int32 {
        let fd = socket(address.ip.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        guard address.withSockAddr({ connect(fd, $0, $1) }) == 0 else {
            let code = errno
            close(fd)
            throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
        }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }

    /// Reads until EOF (or `limit` bytes, or the 5 s receive timeout).
    static func readToEnd(_ fd: Int32, limit: Int = 64 << 20) -> [UInt8] {
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while result.count < limit {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            result += buffer[0..<n]
        }
        return result
    }

    /// Reads exactly `count` bytes; fewer at EOF or after the 5 s receive timeout.
    static func readExactly(_ fd: Int32, _ count: Int) -> [UInt8] {
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: count)
        while result.count < count {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, count - result.count, 0) }
            if n <= 0 { break }
            result += buffer[0..<n]
        }
        return result
    }

    /// Open descriptors of this process.
    static func openDescriptors() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).sorted()
    }

    static func detach(_ body: @escaping @Sendable () -> Void) {
        let thread = Thread(block: body)
        thread.start()
    }
}

/// A TCP server that echoes what it reads, then half-closes when the client does: the container
/// side of forwarder tests.
final class TCPEchoServer: Sendable {
    let address: SocketAddress
    private let listener: Int32
    private let stopped = Atomic<Bool>(false)

    init(on ip: String = "127.0.0.1") throws {
        guard let ip = IPAddress(ip) else { throw POSIXError(.EINVAL) }
        let fd = try Sockets.bound(SocketAddress(ip, 0), .stream, stage: "test echo")
        // Blocking accept: the server thread sleeps in it.
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        listener = fd
        address = Sockets.localAddress(fd) ?? SocketAddress(ip, 0)
        TestNet.detach { [fd] in
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 {
                    if errno == EINTR { continue }
                    close(fd)
                    return
                }
                TestNet.detach {
                    var buffer = [UInt8](repeating: 0, count: 65536)
                    while true {
                        let n = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
                        if n <= 0 { break }
                        if !TestNet.writeAll(client, Array(buffer[0..<n])) { break }
                    }
                    shutdown(client, Int32(SHUT_WR))
                    close(client)
                }
            }
        }
    }

    /// Stops accepting: accept fails with EINVAL and the server thread closes the listener.
    func stop() {
        if !stopped.exchange(true, ordering: .acquiringAndReleasing) { shutdown(listener, Int32(SHUT_RDWR)) }
    }
}

/// A UDP server that sends each datagram back, or that answers DNS queries with one A record,
/// or never answers: the container side of UDP tests and the fake upstream resolver.
final class UDPServer: Sendable {
    enum Behaviour: Sendable { case echo, dns(IPAddress), silent }
    let address: SocketAddress
    private let fd: Int32
    private let stopped = Atomic<Bool>(false)

    init(on ip: String = "127.0.0.1", _ behaviour: Behaviour) throws {
        guard let ip = IPAddress(ip) else { throw POSIXError(.EINVAL) }
        let fd = try Sockets.bound(SocketAddress(ip, 0), .datagram, stage: "test udp")
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        self.fd = fd
        address = Sockets.localAddress(fd) ?? SocketAddress(ip, 0)
        TestNet.detach { [fd] in
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                guard let (count, peer, length) = Sockets.receive(fd, into: &buffer), count > 0 else {
                    close(fd)
                    return
                }
                var reply = Array(buffer[0..<count])
                switch behaviour {
                case .silent: continue
                case .echo: break
                case .dns(let answer):
                    guard var message = try? DNSMessage(parsing: reply), let question = message.questions.first else { continue }
                    message.flags.isResponse = true
                    message.answers = [.init(name: question.name, type: .a, ttl: 60, data: .address(answer))]
                    reply = (try? message.serialized()) ?? []
                }
                reply.withUnsafeBytes { Sockets.send(fd, $0, to: peer, length: length) }
            }
        }
    }

    /// Wakes the server thread with an empty read; it closes the socket.
    func stop() {
        if !stopped.exchange(true, ordering: .acquiringAndReleasing) { shutdown(fd, Int32(SHUT_RDWR)) }
    }
}
