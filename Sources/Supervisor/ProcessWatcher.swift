import CLinuxShim
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Reports the end of processes that are not our children (containers are the children of their
/// berth-init monitors): one pidfd per process, all polled by one dedicated thread that sleeps in
/// `poll(2)` until a process ends or the set changes. Nothing runs while nothing happens, so an
/// idle supervisor uses no CPU; the cooperative pool is never blocked.
public final class ProcessWatcher: Sendable {
    /// A watched process ended: the key it was registered under.
    public let exits: AsyncStream<String>
    private let continuation: AsyncStream<String>.Continuation
    /// Wakes the polling thread when the set changes or the watcher closes.
    private let wakeup: Int32
    private let state = Mutex(State())

    private struct State {
        /// key → pidfd.
        var watched: [String: Int32] = [:]
        var closed = false
    }

    public init() throws(SupervisorError) {
        // EFD_CLOEXEC and EFD_NONBLOCK are O_CLOEXEC and O_NONBLOCK (eventfd(2)).
        let descriptor = eventfd(0, O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else {
            throw SupervisorError(.system, object: "process watcher", "eventfd: \(String(cString: strerror(errno)))")
        }
        wakeup = descriptor
        (exits, continuation) = AsyncStream.makeStream(of: String.self)
        let thread = Thread { [self] in self.loop() }
        thread.name = "berth.supervisor.pidfd"
        thread.start()
    }

    /// Watches `pid` under `key` (a container id), replacing what `key` watched before. A process
    /// that has already ended is reported at once; one that does not exist throws.
    public func watch(_ pid: Int32, key: String) throws(SupervisorError) {
        let descriptor = pidfd_open(pid, 0)
        guard descriptor >= 0 else {
            throw SupervisorError(.system, object: "process \(pid) (\(key))", "pidfd_open: \(String(cString: strerror(errno)))")
        }
        // pidfd_open sets close-on-exec itself (pidfd_open(2)).
        let previous = state.withLock { state -> Int32? in
            defer { state.watched[key] = descriptor }
            return state.watched[key]
        }
        if let previous { Glibc.close(previous) }
        wake()
    }

    /// Stops watching `key`; its end will not be reported.
    public func forget(_ key: String) {
        if let descriptor = state.withLock({ $0.watched.removeValue(forKey: key) }) { Glibc.close(descriptor) }
        wake()
    }

    /// The keys watched now.
    public var keys: Set<String> { state.withLock { Set($0.watched.keys) } }

    /// Ends the thread and the `exits` stream.
    public func close() {
        let descriptors = state.withLock { state -> [Int32] in
            state.closed = true
            defer { state.watched = [:] }
            return Array(state.watched.values)
        }
        for descriptor in descriptors { Glibc.close(descriptor) }
        wake()
    }

    private func wake() {
        var one: UInt64 = 1
        _ = write(wakeup, &one, 8)
    }

    private func loop() {
        while true {
            let (closed, watched) = state.withLock { ($0.closed, $0.watched) }
            if closed { break }
            var descriptors = [pollfd(fd: wakeup, events: Int16(POLLIN), revents: 0)]
            let keys = Array(watched.keys)
            for key in keys { descriptors.append(pollfd(fd: watched[key] ?? -1, events: Int16(POLLIN), revents: 0)) }
            // No timeout: the thread sleeps until a process ends or `wake()` is called.
            let ready = poll(&descriptors, nfds_t(descriptors.count), -1)
            if ready < 0 { continue }  // EINTR
            if descriptors[0].revents != 0 {
                var counter: UInt64 = 0
                _ = read(wakeup, &counter, 8)
            }
            for (index, key) in keys.enumerated() where descriptors[index + 1].revents & Int16(POLLIN | POLLHUP) != 0 {
                let descriptor = descriptors[index + 1].fd
                // Report only if the key still watches this very pidfd (not forgotten or replaced
                // meanwhile); closing it under the lock keeps a reused number from being mistaken.
                let ended = state.withLock { state -> Bool in
                    guard state.watched[key] == descriptor else { return false }
                    state.watched[key] = nil
                    // A monitor this process launched (a restart) is our child: reap exactly it,
                    // through its pidfd (P_PIDFD), so no zombie is left and no other child's
                    // status is taken. For anyone else's process this fails with ECHILD.
                    var info = siginfo_t()
                    _ = waitid(idtype_t(rawValue: 3), id_t(descriptor), &info, WEXITED | WNOHANG)
                    Glibc.close(descriptor)
                    return true
                }
                if ended { continuation.yield(key) }
            }
        }
        Glibc.close(wakeup)
        continuation.finish()
    }
}
