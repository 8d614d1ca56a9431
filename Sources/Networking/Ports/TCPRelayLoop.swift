#if canImport(Glibc)
import Glibc
#endif
import CLinuxShim
import SystemSupport

/// The TCP forwarder's loop: accepts, connects through the connector, and splices both ways.
/// Level-triggered epoll; a descriptor is registered only while the relay waits on it, so an idle
/// or half-finished relay costs no wake-ups.
final class TCPRelayLoop: @unchecked Sendable {
    // @unchecked: handed once from `PortForwarder.init` to the loop thread it starts, and touched
    // by that thread only from then on.
    let listener: Int32
    let stopFD: Int32
    let shared: PortForwarder.Shared
    let epoll: Epoll
    var relays: [Int32: Relay] = [:]
    var listening = true
    var acceptPausedUntil: Double?

    init(listener: Int32, stopFD: Int32, shared: PortForwarder.Shared) throws(SystemError) {
        self.listener = listener
        self.stopFD = stopFD
        self.shared = shared
        epoll = try Epoll(stage: "forward")
    }

    func run() {
        epoll.add(listener, Epoll.readable)
        epoll.add(stopFD, Epoll.readable)
        var stopping = false
        while !stopping {
            let timeout: Int32 = acceptPausedUntil.map { Int32(max(0, ($0 - monotonicSeconds()) * 1000) + 1) } ?? -1
            epoll.wait(timeout: timeout) { fd, events in
                if fd == stopFD {
                    stopping = true
                } else if fd == listener {
                    acceptConnections()
                } else if let relay = relays[fd] {
                    serve(relay, fd: fd, events: events)
                }
            }
            if let until = acceptPausedUntil, until <= monotonicSeconds() { resumeAccepting() }
        }
        var closed = Set<ObjectIdentifier>()
        for relay in relays.values where closed.insert(ObjectIdentifier(relay)).inserted { relay.closeAll(abort: true) }
        relays = [:]
        close(listener)
    }

    private func acceptConnections() {
        while relays.count / 2 < shared.options.maximumConnections {
            let client = berth_accept4(listener, Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue))
            if client < 0 {
                switch errno {
                case EINTR, ECONNABORTED: continue
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    // Out of descriptors: stop listening a moment rather than spin on a readable
                    // listener; waiting clients stay in the backlog.
                    pauseAccepting(seconds: 0.1)
                default: break
                }
                return
            }
            start(client)
        }
        pauseAccepting(seconds: 0.05)
    }

    private func pauseAccepting(seconds: Double) {
        guard listening else { return }
        epoll.remove(listener)
        listening = false
        acceptPausedUntil = monotonicSeconds() + seconds
    }

    private func resumeAccepting() {
        acceptPausedUntil = nil
        if !listening {
            epoll.add(listener, Epoll.readable)
            listening = true
        }
    }

    private func start(_ client: Int32) {
        let target = shared.target.withLock { $0 }
        let upstream: Int32
        do throws(NetworkingError) {
            upstream = try shared.connector(.tcp, target)
        } catch {
            Sockets.abort(client)
            return
        }
        Sockets.setNonBlocking(upstream)
        guard let relay = Relay(client: client, upstream: upstream) else {
            Sockets.abort(client)
            Sockets.abort(upstream)
            return
        }
        relays[client] = relay
        relays[upstream] = relay
        shared.active.add(1, ordering: .relaxed)
        // The client is not read until the container side has connected.
        update(relay)
    }

    private func serve(_ relay: Relay, fd: Int32, events: UInt32) {
        if relay.connecting {
            guard fd == relay.upstream, Sockets.pendingError(relay.upstream) == 0 else { return finish(relay, abort: true) }
            relay.connecting = false
        }
        if events & UInt32(EPOLLERR.rawValue) != 0 { return finish(relay, abort: true) }
        guard relay.toUpstream.pump(), relay.toClient.pump() else { return finish(relay, abort: true) }
        if relay.toUpstream.finished && relay.toClient.finished { return finish(relay, abort: false) }
        update(relay)
    }

    /// Registers each descriptor for exactly what its relay waits on, and removes one that waits
    /// on nothing, so a hung-up socket cannot wake the loop over and over.
    private func update(_ relay: Relay) {
        var client: UInt32 = 0
        var upstream: UInt32 = 0
        if relay.connecting {
            upstream = Epoll.writable
        } else {
            if relay.toUpstream.waitsToRead { client |= Epoll.readable }
            if relay.toUpstream.waitsToWrite { upstream |= Epoll.writable }
            if relay.toClient.waitsToRead { upstream |= Epoll.readable }
            if relay.toClient.waitsToWrite { client |= Epoll.writable }
        }
        relay.register(relay.client, client, in: epoll)
        relay.register(relay.upstream, upstream, in: epoll)
    }

    private func finish(_ relay: Relay, abort: Bool) {
        relays[relay.client] = nil
        relays[relay.upstream] = nil
        relay.register(relay.client, 0, in: epoll)
        relay.register(relay.upstream, 0, in: epoll)
        relay.closeAll(abort: abort)
        shared.active.subtract(1, ordering: .relaxed)
    }
}

/// One relayed connection: two sockets and a splice pipe per direction.
final class Relay {
    let client: Int32
    let upstream: Int32
    var connecting = true
    let toUpstream: Splice
    let toClient: Splice
    private var registered: [Int32: UInt32] = [:]

    init?(client: Int32, upstream: Int32) {
        guard let forward = Splice(from: client, to: upstream) else { return nil }
        guard let backward = Splice(from: upstream, to: client) else {
            forward.closePipe()
            return nil
        }
        self.client = client
        self.upstream = upstream
        toUpstream = forward
        toClient = backward
    }

    func register(_ fd: Int32, _ interest: UInt32, in epoll: Epoll) {
        let current = registered[fd] ?? 0
        if current == interest { return }
        if current == 0 {
            epoll.add(fd, interest)
        } else if interest == 0 {
            epoll.remove(fd)
        } else {
            epoll.modify(fd, interest)
        }
        registered[fd] = interest == 0 ? nil : interest
    }

    func closeAll(abort: Bool) {
        toUpstream.closePipe()
        toClient.closePipe()
        if abort {
            Sockets.abort(client)
            Sockets.abort(upstream)
        } else {
            close(client)
            close(upstream)
        }
    }
}

/// One direction of a relay: source socket → pipe → destination socket, with splice(2).
final class Splice {
    let source: Int32
    let destination: Int32
    private let pipeRead: Int32
    private let pipeWrite: Int32
    /// Bytes in the pipe, not yet written to the destination.
    private var pending = 0
    /// What one splice from the source may take: the pipe's size.
    private var capacity = 65536
    /// Bytes moved so far, to recognise a bulk transfer.
    private var moved = 0
    private var grew = false
    private var sourceEnded = false
    private var shutDown = false
    private(set) var waitsToRead = true
    private(set) var waitsToWrite = false

    /// Pipes start at the kernel's 64 KiB; one that has carried `bulkThreshold` bytes grows to
    /// `bulkPipeSize`, so a bulk transfer moves more per wake-up. Not every pipe starts large:
    /// hundreds of relays would exhaust the per-user pipe memory (fs.pipe-user-pages-soft), after
    /// which the kernel gives new pipes a page or two.
    static let bulkThreshold = 4 << 20
    static let bulkPipeSize: Int32 = 1 << 20
    /// Splices per wake-up before the loop serves other relays: keeps one fast relay from
    /// starving the rest (level-triggered epoll brings it back at once).
    static let roundsPerWake = 16

    init?(from source: Int32, to destination: Int32) {
        var fds: [Int32] = [0, 0]
        guard berth_pipe2(&fds, O_NONBLOCK | O_CLOEXEC) == 0 else { return nil }
        self.source = source
        self.destination = destination
        pipeRead = fds[0]
        pipeWrite = fds[1]
    }

    /// Done: the source ended, everything it sent was delivered and the destination told.
    var finished: Bool { shutDown }

    /// Moves what can move now without blocking. False when the connection failed (reset, broken
    /// pipe): the caller then resets both sides.
    func pump() -> Bool {
        let flags = UInt32(BERTH_SPLICE_F_MOVE | BERTH_SPLICE_F_NONBLOCK)
        for _ in 0..<Self.roundsPerWake {
            if pending > 0 {
                let n = berth_splice(pipeRead, destination, UInt(pending), flags)
                if n > 0 {
                    pending -= n
                    continue
                }
                if n < 0 && errno == EINTR { continue }
                guard n < 0 && errno == EAGAIN else { return false }
                waitsToWrite = true
                waitsToRead = false
                return true
            }
            waitsToWrite = false
            if sourceEnded {
                if !shutDown {
                    // Half-close: the destination learns the source is done, and may still answer.
                    shutdown(destination, Int32(SHUT_WR))
                    shutDown = true
                }
                waitsToRead = false
                return true
            }
            // The pipe is empty here, so EAGAIN can only mean the source has nothing to read.
            let n = berth_splice(source, pipeWrite, UInt(capacity), flags)
            if n > 0 {
                pending += n
                moved += n
                if moved >= Self.bulkThreshold && !grew { grow() }
            } else if n == 0 {
                sourceEnded = true
            } else if errno == EINTR {
                continue
            } else if errno == EAGAIN {
                waitsToRead = true
                return true
            } else {
                return false
            }
        }
        if pending == 0 && sourceEnded && !shutDown {
            shutdown(destination, Int32(SHUT_WR))
            shutDown = true
        }
        waitsToRead = pending == 0 && !sourceEnded
        waitsToWrite = pending > 0
        return true
    }

    /// Enlarges the pipe once; a refusal (over pipe-max-size or the user's pipe memory) keeps it
    /// as it is and is not retried.
    private func grow() {
        grew = true
        let size = fcntl(pipeWrite, Int32(BERTH_F_SETPIPE_SZ), Self.bulkPipeSize)
        if size > 0 { capacity = Int(size) }
    }

    func closePipe() {
        close(pipeRead)
        close(pipeWrite)
    }
}
