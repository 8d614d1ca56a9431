#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import SystemSupport

/// A userspace forwarder for one published port: listens on a host address and relays each TCP
/// connection, or each UDP client's datagrams, to a container address.
///
/// The socket to the container comes from a `Connector`, so the same forwarder serves rootful
/// networks (a plain socket in the host's namespace) and rootless ones (a socket made inside the
/// rootless network namespace by the process that holds it). TCP is relayed with splice(2)
/// through a pipe per direction, so payload bytes never enter user space; half-closes are passed
/// on. UDP keeps one flow (one socket to the container) per client address, closed after
/// `Options.udpIdleTimeout` without traffic.
///
/// The listener is bound when `init` returns; a thread of its own serves until `shutdown()`.
public final class PortForwarder: Sendable {
    public enum Proto: String, Sendable, Hashable, Codable, CaseIterable {
        case tcp, udp
    }

    /// Opens a socket to `target` for a new connection or UDP flow. The socket may still be
    /// connecting (non-blocking, EINPROGRESS): the forwarder waits for it. The forwarder owns and
    /// closes the descriptor.
    public typealias Connector = @Sendable (_ proto: Proto, _ target: SocketAddress) throws(NetworkingError) -> Int32

    /// A socket in the caller's network namespace (rootful networks, tests).
    public static let directConnector: Connector = { (proto, target) throws(NetworkingError) -> Int32 in
        do throws(SystemError) {
            return try Sockets.connecting(to: target, proto == .tcp ? .stream : .datagram, stage: "forward")
        } catch {
            throw NetworkingError(error)
        }
    }

    public struct Options: Sendable, Hashable, Codable {
        /// Seconds a UDP flow lives without traffic in either direction.
        public var udpIdleTimeout: Double
        /// TCP connections relayed at once; more wait in the listen backlog.
        public var maximumConnections: Int

        public init(udpIdleTimeout: Double = 30, maximumConnections: Int = 4096) {
            self.udpIdleTimeout = udpIdleTimeout
            self.maximumConnections = maximumConnections
        }
    }

    public let proto: Proto
    /// The address the forwarder listens on, with the port the kernel chose when asked for port 0.
    public let address: SocketAddress
    private let shared: Shared
    private let loop: LoopThread

    final class Shared: Sendable {
        let target: Mutex<SocketAddress>
        let connector: Connector
        let options: Options
        let active = Atomic<Int>(0)
        init(target: SocketAddress, connector: @escaping Connector, options: Options) {
            self.target = Mutex(target)
            self.connector = connector
            self.options = options
        }
    }

    /// Binds `listen` (port 0: any free port) and starts forwarding to `target`. A port in use or
    /// a privileged port fails here with an error that says who holds it or what to change.
    public init(proto: Proto, listen: SocketAddress, target: SocketAddress,
                connector: @escaping Connector = PortForwarder.directConnector,
                options: Options = Options()) throws(NetworkingError) {
        let fd: Int32
        do throws(SystemError) {
            fd = try Sockets.bound(listen, proto == .tcp ? .stream : .datagram, stage: "publish \(listen)/\(proto.rawValue)")
        } catch {
            throw PortProblem.explain(error, address: listen, proto: proto)
        }
        self.proto = proto
        address = Sockets.localAddress(fd) ?? listen
        shared = Shared(target: target, connector: connector, options: options)
        do throws(SystemError) {
            loop = try LoopThread(stage: "forward \(address)")
            let stage = "forward \(address)/\(proto.rawValue)"
            switch proto {
            case .tcp:
                let state = try TCPRelayLoop(listener: fd, stopFD: loop.stopFD, shared: shared)
                try loop.start(stage: stage) { state.run() }
            case .udp:
                let state = try UDPRelayLoop(listener: fd, stopFD: loop.stopFD, shared: shared)
                try loop.start(stage: stage) { state.run() }
            }
        } catch {
            close(fd)
            throw NetworkingError(error)
        }
    }

    /// Fails as `init` would when `listen` cannot be bound now (in use, with who holds it; a
    /// privileged port; an address the host lacks), and binds nothing: what a command checks
    /// before it starts containers, so a taken port fails it before anything is half-started.
    /// The port is free only at the moment of the check; the forwarder's own bind still decides.
    public static func checkAvailable(proto: Proto, listen: SocketAddress) throws(NetworkingError) {
        do throws(SystemError) {
            close(try Sockets.bound(listen, proto == .tcp ? .stream : .datagram, stage: "check \(listen)/\(proto.rawValue)"))
        } catch {
            throw PortProblem.explain(error, address: listen, proto: proto)
        }
    }

    deinit { loop.stop() }

    /// Where new connections and flows go.
    public var target: SocketAddress { shared.target.withLock { $0 } }

    /// Sends new connections and new UDP flows to `target` (a recreated container's address);
    /// relays already open keep their old peer.
    public func retarget(_ target: SocketAddress) { shared.target.withLock { $0 = target } }

    /// TCP connections or UDP flows being relayed now.
    public var activeRelays: Int { shared.active.load(ordering: .relaxed) }

    /// Stops listening, drops every relay and closes every descriptor. Idempotent.
    public func shutdown() { loop.stop() }
}
