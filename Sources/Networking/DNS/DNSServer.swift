#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import CLinuxShim
import SystemSupport

/// An embedded DNS server for one network: answers A, AAAA and PTR queries for the names of its
/// `DNSNameTable` and forwards every other query to upstream resolvers; over UDP, and over TCP
/// for the clients an answer too long for UDP sent there (truncation flag). Queries that come over
/// TCP are forwarded over UDP too.
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

    /// The server's sockets: a bound UDP socket and, optionally, a listening TCP socket on the
    /// same address and port. The server owns and closes them.
    public struct Listeners: Sendable, Hashable {
        public var udp: Int32
        public var tcp: Int32?

        public init(udp: Int32, tcp: Int32?) {
            self.udp = udp
            self.tcp = tcp
        }
    }

    /// Binds UDP and TCP on `address` in the caller's network namespace and starts serving.
    public convenience init(listen address: SocketAddress, table: DNSNameTable, options: Options = Options()) throws(NetworkingError) {
        try self.init(listeners: try DNSServer.bind(address), table: table, options: options)
    }

    /// A UDP socket bound to `address`, and a TCP listener on the same address and on the port the
    /// UDP socket got, in the caller's network namespace: for `init(listeners:)`.
    public static func bind(_ address: SocketAddress) throws(NetworkingError) -> Listeners {
        try bind(address, maker: Sockets.here)
    }

    /// As `bind(_:)`, with sockets made by `maker` (inside a rootless network's namespace).
    static func bind(_ address: SocketAddress, maker: @escaping Sockets.Maker) throws(NetworkingError) -> Listeners {
        let udp: Int32
        do throws(SystemError) {
            udp = try Sockets.bound(address, .datagram, stage: "dns server", maker: maker)
        } catch {
            throw PortProblem.explain(error, address: address, proto: .udp)
        }
        let tcpAddress = Sockets.localAddress(udp) ?? address
        do throws(SystemError) {
            return Listeners(udp: udp, tcp: try Sockets.bound(tcpAddress, .stream, stage: "dns server", maker: maker))
        } catch {
            close(udp)
            throw PortProblem.explain(error, address: tcpAddress, proto: .tcp)
        }
    }

    /// Serves on `socket`, a bound UDP socket the server now owns (no TCP).
    public convenience init(socket fd: Int32, table: DNSNameTable, options: Options = Options()) throws(NetworkingError) {
        try self.init(listeners: Listeners(udp: fd, tcp: nil), table: table, options: options)
    }

    /// Serves on `listeners`, made in the caller's namespace or inside another network namespace
    /// (a rootless network's) by whoever can enter it.
    public init(listeners: Listeners, table: DNSNameTable, options: Options = Options()) throws(NetworkingError) {
        let fd = listeners.udp
        Sockets.setNonBlocking(fd)
        if let tcp = listeners.tcp { Sockets.setNonBlocking(tcp) }
        guard let bound = Sockets.localAddress(fd) else {
            close(fd)
            if let tcp = listeners.tcp { close(tcp) }
            throw NetworkingError(.system, object: "dns socket \(fd)", "getsockname failed: pass a bound UDP socket")
        }
        address = bound
        shared = Shared(table)
        do throws(SystemError) {
            loop = try LoopThread(stage: "dns server \(bound)")
            let state = try DNSServerLoop(listeners: listeners, stopFD: loop.stopFD, shared: shared, options: options)
            try loop.start(stage: "dns server \(bound)") { state.run() }
        } catch {
            close(fd)
            if let tcp = listeners.tcp { close(tcp) }
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
    let tcpListener: Int32?
    let stopFD: Int32
    let shared: DNSServer.Shared
    let options: DNSServer.Options
    let epoll: Epoll
    var answerer: DNSAnswerer
    var version = 0
    var inFlight: [Int32: Forward] = [:]
    var tcpClients: [Int32: TCPClient] = [:]
    var tcpPausedUntil: Double?
    var buffer = [UInt8](repeating: 0, count: 65536)

    /// Who asked: a UDP peer, or a TCP connection (by descriptor).
    enum Client {
        case udp(sockaddr_storage, socklen_t)
        case tcp(Int32)
    }

    struct Forward {
        var client: Client
        var query: [UInt8]
        var parsed: DNSMessage
        var upstream: Int
        var deadline: Double
    }

    struct TCPClient {
        var received: [UInt8] = []
        var lastActive: Double
    }

    /// TCP connections at once, and how long one may sit idle (RFC 7766 suggests seconds).
    static let maximumTCPClients = 128
    static let tcpIdleTimeout = 10.0

    init(listeners: DNSServer.Listeners, stopFD: Int32, shared: DNSServer.Shared, options: DNSServer.Options) throws(SystemError) {
        socket = listeners.udp
        tcpListener = listeners.tcp
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
        if let tcpListener { epoll.add(tcpListener, Epoll.readable) }
        var stopping = false
        while !stopping {
            var deadlines = inFlight.values.map(\.deadline)
            if let oldest = tcpClients.values.map(\.lastActive).min() { deadlines.append(oldest + Self.tcpIdleTimeout) }
            if let tcpPausedUntil { deadlines.append(tcpPausedUntil) }
            var timeout: Int32 = -1
            if let next = deadlines.min() {
                timeout = Int32(max(0, min(60_000, (next - monotonicSeconds()) * 1000 + 1)))
            }
            epoll.wait(timeout: timeout) { fd, _ in
                if fd == stopFD {
                    stopping = true
                } else if fd == socket {
                    serveQueries()
                } else if fd == tcpListener {
                    acceptTCP()
                } else if tcpClients[fd] != nil {
                    serveTCP(fd)
                } else {
                    relayAnswer(from: fd)
                }
            }
            expireForwards()
            let now = monotonicSeconds()
            if let until = tcpPausedUntil, until <= now, let tcpListener {
                tcpPausedUntil = nil
                epoll.add(tcpListener, Epoll.readable)
            }
            for (fd, client) in tcpClients where now - client.lastActive >= Self.tcpIdleTimeout { closeTCP(fd) }
        }
        for fd in inFlight.keys { close(fd) }
        inFlight = [:]
        for fd in Array(tcpClients.keys) { closeTCP(fd) }
        if let tcpListener { close(tcpListener) }
        close(socket)
    }

    private func acceptTCP() {
        guard let tcpListener else { return }
        while true {
            let fd = berth_accept4(tcpListener, Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue))
            if fd < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                if errno == EMFILE || errno == ENFILE {
                    // Out of descriptors: stop watching the listener a moment rather than spin.
                    epoll.remove(tcpListener)
                    tcpPausedUntil = monotonicSeconds() + 0.1
                }
                return
            }
            // Full: refuse rather than leave the listener readable, which would spin the loop.
            guard tcpClients.count < Self.maximumTCPClients else {
                close(fd)
                continue
            }
            tcpClients[fd] = TCPClient(lastActive: monotonicSeconds())
            epoll.add(fd, Epoll.readable)
        }
    }

    /// Reads what the connection sent and answers each complete message (2-byte length, then the
    /// message, RFC 1035 §4.2.2).
    private func serveTCP(_ fd: Int32) {
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count < 0 && (errno == EAGAIN || errno == EINTR) { return }
        guard count > 0, var client = tcpClients[fd] else { return closeTCP(fd) }
        client.received += buffer[0..<count]
        client.lastActive = monotonicSeconds()
        while client.received.count >= 2 {
            let length = Int(client.received[0]) << 8 | Int(client.received[1])
            guard client.received.count >= 2 + length else { break }
            let bytes = Array(client.received[2..<2 + length])
            client.received.removeFirst(2 + length)
            // Saved before answering: an answer that cannot be sent closes the connection.
            tcpClients[fd] = client
            handle(bytes, from: .tcp(fd))
            guard tcpClients[fd] != nil else { return }
        }
        tcpClients[fd] = client
    }

    private func closeTCP(_ fd: Int32) {
        guard tcpClients.removeValue(forKey: fd) != nil else { return }
        epoll.remove(fd)
        close(fd)
    }

    private func serveQueries() {
        // Drain what is queued: one wake-up serves a burst.
        for _ in 0..<64 {
            guard let (count, peer, length) = Sockets.receive(socket, into: &buffer) else { return }
            handle(Array(buffer[0..<count]), from: .udp(peer, length))
        }
    }

    private func handle(_ bytes: [UInt8], from client: Client) {
        let query: DNSMessage
        do throws(NetworkingError) {
            query = try DNSMessage(parsing: bytes)
        } catch {
            // Unparseable but with a header: say FORMERR so the client does not wait.
            guard bytes.count >= 12 else { return }
            let flags = DNSMessage.Flags(isResponse: true, responseCode: .formatError)
            send(DNSMessage(id: UInt16(bytes[0]) << 8 | UInt16(bytes[1]), flags: flags), limit: 512, to: client)
            return
        }
        let current = shared.table.withLock { $0.version == version ? nil : $0 }
        if let current {
            version = current.version
            answerer.replaceTable(current.table)
        }
        switch answerer.decide(query) {
        case .answer(let reply):
            send(reply, limit: query.udpPayloadLimit, to: client)
        case .forward:
            forward(bytes, parsed: query, client: client, upstream: 0)
        }
    }

    /// Sends an answer: over UDP truncated to `limit`, over TCP whole.
    private func send(_ message: DNSMessage, limit: Int, to client: Client) {
        let encoded: [UInt8]?
        switch client {
        case .udp: encoded = try? message.serialized(limit: limit)
        case .tcp: encoded = try? message.serialized()
        }
        if let encoded { send(encoded[...], to: client) }
    }

    private func send(_ bytes: ArraySlice<UInt8>, to client: Client) {
        switch client {
        case .udp(let peer, let length):
            bytes.withUnsafeBytes { Sockets.send(socket, $0, to: peer, length: length) }
        case .tcp(let fd):
            guard tcpClients[fd] != nil else { return }
            let framed = [UInt8(bytes.count >> 8), UInt8(bytes.count & 0xff)] + bytes
            // Answers are small next to a socket buffer; one that does not fit ends the connection
            // rather than stall the loop.
            let sent = framed.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT)) }
            if sent != framed.count { closeTCP(fd) }
        }
    }

    private func forward(_ query: [UInt8], parsed: DNSMessage, client: Client, upstream: Int) {
        var index = upstream
        while index < options.upstreams.count, inFlight.count < options.maximumInFlight {
            let server = options.upstreams[index]
            if let fd = try? Sockets.connecting(to: server, .datagram, stage: "dns forward") {
                let sent = query.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if sent == query.count {
                    epoll.add(fd, Epoll.readable)
                    inFlight[fd] = Forward(client: client, query: query, parsed: parsed,
                                           upstream: index, deadline: monotonicSeconds() + options.attemptTimeout)
                    return
                }
                close(fd)
            }
            index += 1
        }
        send(answerer.reply(to: parsed, code: .serverFailure), limit: parsed.udpPayloadLimit, to: client)
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
            forward(pending.query, parsed: pending.parsed, client: pending.client, upstream: pending.upstream + 1)
            return
        }
        send(buffer[0..<count], to: pending.client)
    }

    private func expireForwards() {
        let now = monotonicSeconds()
        for (fd, pending) in inFlight where pending.deadline <= now {
            epoll.remove(fd)
            close(fd)
            inFlight[fd] = nil
            forward(pending.query, parsed: pending.parsed, client: pending.client, upstream: pending.upstream + 1)
        }
    }
}
