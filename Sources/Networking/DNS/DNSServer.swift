#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import CLinuxShim
import SystemSupport

/// An embedded DNS server for one network: answers A, AAAA and PTR queries for the names of its
/// `DNSNameTable` and forwards every other query to upstream resolvers, over UDP.
///
/// It is bound when `init` returns, and serves from a thread of its own until `shutdown()`.
/// `update(_:)` swaps the table atomically; the next query sees it.
public final class DNSServer: Sendable {
    public struct Options: Sendable, Hashable, Codable {
        /// Where unknown names go, tried in order (default: the host's /etc/resolv.conf).
        public var upstreams: [SocketAddress]
        /// How long one upstream has to answer before the next is tried; when the last fails too,
        /// the client gets SERVFAIL.
        public var attemptTimeout: Double
        /// Forwarded queries in flight at once; beyond it the server answers SERVFAIL at once
        /// instead of opening more sockets.
        public var maximumInFlight: Int

        public init(upstreams: [SocketAddress] = HostResolvers.system(), attemptTimeout: Double = 2, maximumInFlight: Int = 512) {
            self.upstreams = upstreams
            self.attemptTimeout = attemptTimeout
            self.maximumInFlight = maximumInFlight
        }
    }

    /// The address the server answers on (with the port the kernel chose when asked for port 0).
    public let address: SocketAddress
    private let shared: Shared
    private let loop: LoopThread

    final class Shared: Sendable {
        /// The table and a version the loop compares with the one it answers from.
        let table: Mutex<(version: Int, table: DNSNameTable)>
        init(_ table: DNSNameTable) { self.table = Mutex((0, table)) }
    }

    /// Binds a UDP socket to `address` in the caller's network namespace and starts serving.
    public convenience init(listen address: SocketAddress, table: DNSNameTable, options: Options = Options()) throws(NetworkingError) {
        try self.init(socket: try DNSServer.bind(address), table: table, options: options)
    }

    /// A UDP socket bound to `address` in the caller's network namespace, for `init(socket:)`.
    public static func bind(_ address: SocketAddress) throws(NetworkingError) -> Int32 {
        do throws(SystemError) {
            return try Sockets.bound(address, .datagram, stage: "dns server")
        } catch {
            throw PortProblem.explain(error, address: address, proto: .udp)
        }
    }

    /// Serves on `socket`, a bound UDP socket the server now owns: one made inside another network
    /// namespace (a rootless network's) by whoever can enter it.
    public init(socket fd: Int32, table: DNSNameTable, options: Options = Options()) throws(NetworkingError) {
        Sockets.setNonBlocking(fd)
        guard let bound = Sockets.localAddress(fd) else {
            close(fd)
            throw NetworkingError(.system, object: "dns socket \(fd)", "getsockname failed: pass a bound UDP socket")
        }
        address = bound
        shared = Shared(table)
        do throws(SystemError) {
            loop = try LoopThread(stage: "dns server \(bound)")
            let state = try DNSServerLoop(socket: fd, stopFD: loop.stopFD, shared: shared, options: options)
            try loop.start(stage: "dns server \(bound)") { state.run() }
        } catch {
            close(fd)
            throw NetworkingError(error)
        }
    }

    deinit { loop.stop() }

    /// Replaces the names the server answers for; queries after this call see the new table.
    public func update(_ table: DNSNameTable) {
        shared.table.withLock { $0 = ($0.version + 1, table) }
    }

    /// The table the server answers from.
    public var table: DNSNameTable { shared.table.withLock { $0.table } }

    /// Stops serving and closes every descriptor the server holds. Idempotent.
    public func shutdown() { loop.stop() }
}

/// The server's loop. Lives on the server's thread alone; `run()` returns once `stopFD` fires,
/// having closed the listening socket and every forward in flight.
private final class DNSServerLoop: @unchecked Sendable {
    // @unchecked: handed once from `DNSServer.init` to the loop thread it starts, and touched by
    // that thread only from then on.
    let socket: Int32
    let stopFD: Int32
    let shared: DNSServer.Shared
    let options: DNSServer.Options
    let epoll: Epoll
    var answerer: DNSAnswerer
    var version = 0
    var inFlight: [Int32: Forward] = [:]
    var buffer = [UInt8](repeating: 0, count: 65536)

    struct Forward {
        var client: sockaddr_storage
        var clientLength: socklen_t
        var query: [UInt8]
        var parsed: DNSMessage
        var upstream: Int
        var deadline: Double
    }

    init(socket: Int32, stopFD: Int32, shared: DNSServer.Shared, options: DNSServer.Options) throws(SystemError) {
        self.socket = socket
        self.stopFD = stopFD
        self.shared = shared
        self.options = options
        epoll = try Epoll(stage: "dns server")
        let current = shared.table.withLock { $0 }
        version = current.version
        answerer = DNSAnswerer(table: current.table)
    }

    func run() {
        epoll.add(socket, Epoll.readable)
        epoll.add(stopFD, Epoll.readable)
        var stopping = false
        while !stopping {
            var timeout: Int32 = -1
            if let next = inFlight.values.map(\.deadline).min() {
                timeout = Int32(max(0, min(60_000, (next - monotonicSeconds()) * 1000 + 1)))
            }
            epoll.wait(timeout: timeout) { fd, _ in
                if fd == stopFD {
                    stopping = true
                } else if fd == socket {
                    serveQueries()
                } else {
                    relayAnswer(from: fd)
                }
            }
            expireForwards()
        }
        for fd in inFlight.keys { close(fd) }
        inFlight = [:]
        close(socket)
    }

    private func serveQueries() {
        // Drain what is queued: one wake-up serves a burst.
        for _ in 0..<64 {
            guard let (count, peer, length) = Sockets.receive(socket, into: &buffer) else { return }
            let bytes = Array(buffer[0..<count])
            let query: DNSMessage
            do throws(NetworkingError) {
                query = try DNSMessage(parsing: bytes)
            } catch {
                // Unparseable but with a header: say FORMERR so the client does not wait.
                guard count >= 12 else { continue }
                let flags = DNSMessage.Flags(isResponse: true, responseCode: .formatError)
                let reply = DNSMessage(id: UInt16(bytes[0]) << 8 | UInt16(bytes[1]), flags: flags)
                send(reply, limit: 512, to: peer, length)
                continue
            }
            let current = shared.table.withLock { $0.version == version ? nil : $0 }
            if let current {
                version = current.version
                answerer.replaceTable(current.table)
            }
            switch answerer.decide(query) {
            case .answer(let reply):
                send(reply, limit: query.udpPayloadLimit, to: peer, length)
            case .forward:
                forward(bytes, parsed: query, client: peer, length, upstream: 0)
            }
        }
    }

    private func send(_ message: DNSMessage, limit: Int, to peer: sockaddr_storage, _ length: socklen_t) {
        guard let bytes = try? message.serialized(limit: limit) else { return }
        bytes.withUnsafeBytes { Sockets.send(socket, $0, to: peer, length: length) }
    }

    private func forward(_ query: [UInt8], parsed: DNSMessage, client: sockaddr_storage, _ length: socklen_t, upstream: Int) {
        var index = upstream
        while index < options.upstreams.count, inFlight.count < options.maximumInFlight {
            let server = options.upstreams[index]
            if let fd = try? Sockets.connecting(to: server, .datagram, stage: "dns forward") {
                let sent = query.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if sent == query.count {
                    epoll.add(fd, Epoll.readable)
                    inFlight[fd] = Forward(client: client, clientLength: length, query: query, parsed: parsed,
                                           upstream: index, deadline: monotonicSeconds() + options.attemptTimeout)
                    return
                }
                close(fd)
            }
            index += 1
        }
        send(answerer.reply(to: parsed, code: .serverFailure), limit: parsed.udpPayloadLimit, to: client, length)
    }

    private func relayAnswer(from fd: Int32) {
        guard let pending = inFlight[fd] else { return }
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count < 0 && (errno == EAGAIN || errno == EINTR) { return }
        epoll.remove(fd)
        close(fd)
        inFlight[fd] = nil
        // A refused or garbled upstream answer moves on to the next upstream.
        guard count >= 12, buffer[0] == pending.query[0], buffer[1] == pending.query[1] else {
            forward(pending.query, parsed: pending.parsed, client: pending.client, pending.clientLength, upstream: pending.upstream + 1)
            return
        }
        buffer.withUnsafeBytes { Sockets.send(socket, UnsafeRawBufferPointer(rebasing: $0[0..<count]), to: pending.client, length: pending.clientLength) }
    }

    private func expireForwards() {
        let now = monotonicSeconds()
        for (fd, pending) in inFlight where pending.deadline <= now {
            epoll.remove(fd)
            close(fd)
            inFlight[fd] = nil
            forward(pending.query, parsed: pending.parsed, client: pending.client, pending.clientLength, upstream: pending.upstream + 1)
        }
    }
}
