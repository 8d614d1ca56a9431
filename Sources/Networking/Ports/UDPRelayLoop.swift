#if canImport(Glibc)
import Glibc
#endif
import CLinuxShim
import SystemSupport

/// The UDP forwarder's loop: one flow (a socket to the container) per client address, so replies
/// find their way back; a flow closes after the idle timeout.
final class UDPRelayLoop: @unchecked Sendable {
    // @unchecked: handed once from `PortForwarder.init` to the loop thread it starts, and touched
    // by that thread only from then on.
    let listener: Int32
    let stopFD: Int32
    let shared: PortForwarder.Shared
    let epoll: Epoll
    var flows: [SocketAddress: Flow] = [:]
    var flowsBySocket: [Int32: SocketAddress] = [:]
    var buffer = [UInt8](repeating: 0, count: 65536)

    struct Flow {
        var socket: Int32
        var client: sockaddr_storage
        var clientLength: socklen_t
        var lastActive: Double
    }

    /// Flows at once; a client beyond it is dropped, as a full NAT table would.
    static let maximumFlows = 4096

    init(listener: Int32, stopFD: Int32, shared: PortForwarder.Shared) throws(SystemError) {
        self.listener = listener
        self.stopFD = stopFD
        self.shared = shared
        epoll = try Epoll(stage: "forward")
    }

    func run() {
        epoll.add(listener, Epoll.readable)
        epoll.add(stopFD, Epoll.readable)
        let idle = shared.options.udpIdleTimeout
        var stopping = false
        while !stopping {
            let timeout: Int32 = flows.isEmpty ? -1 : Int32(max(10, min(1000, idle * 500)))
            epoll.wait(timeout: timeout) { fd, _ in
                if fd == stopFD {
                    stopping = true
                } else if fd == listener {
                    fromClients()
                } else if let client = flowsBySocket[fd] {
                    fromContainer(client)
                }
            }
            let now = monotonicSeconds()
            for (client, flow) in flows where now - flow.lastActive >= idle { closeFlow(client) }
        }
        for client in Array(flows.keys) { closeFlow(client) }
        close(listener)
    }

    private func fromClients() {
        for _ in 0..<64 {
            guard let (count, peer, length) = Sockets.receive(listener, into: &buffer),
                  let client = SocketAddress(storage: peer) else { return }
            guard let socket = flowSocket(for: client, peer, length) else { continue }
            _ = buffer.withUnsafeBytes { Glibc.send(socket, $0.baseAddress, count, Int32(MSG_NOSIGNAL)) }
        }
    }

    private func flowSocket(for client: SocketAddress, _ peer: sockaddr_storage, _ length: socklen_t) -> Int32? {
        let now = monotonicSeconds()
        if let flow = flows[client] {
            flows[client]?.lastActive = now
            return flow.socket
        }
        guard flows.count < Self.maximumFlows else { return nil }
        let target = shared.target.withLock { $0 }
        guard let socket = try? shared.connector(.udp, target) else { return nil }
        Sockets.setNonBlocking(socket)
        flows[client] = Flow(socket: socket, client: peer, clientLength: length, lastActive: now)
        flowsBySocket[socket] = client
        epoll.add(socket, Epoll.readable)
        shared.active.add(1, ordering: .relaxed)
        return socket
    }

    private func fromContainer(_ client: SocketAddress) {
        guard let flow = flows[client] else { return }
        for _ in 0..<64 {
            let count = buffer.withUnsafeMutableBytes { recv(flow.socket, $0.baseAddress, $0.count, 0) }
            if count < 0 {
                if errno == EINTR { continue }
                // EAGAIN: drained. ECONNREFUSED: an ICMP error for an earlier datagram, which
                // UDP does not report to the client either.
                return
            }
            flows[client]?.lastActive = monotonicSeconds()
            buffer.withUnsafeBytes {
                Sockets.send(listener, UnsafeRawBufferPointer(rebasing: $0[0..<count]), to: flow.client, length: flow.clientLength)
            }
        }
    }

    private func closeFlow(_ client: SocketAddress) {
        guard let flow = flows.removeValue(forKey: client) else { return }
        flowsBySocket[flow.socket] = nil
        epoll.remove(flow.socket)
        close(flow.socket)
        shared.active.subtract(1, ordering: .relaxed)
    }
}
