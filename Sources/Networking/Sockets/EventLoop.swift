#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import CLinuxShim
import SystemSupport

/// An epoll set. Owned by the one thread that waits on it; not shared.
final class Epoll {
    let fd: Int32
    private var events = [epoll_event](repeating: epoll_event(), count: 256)

    init(stage: String) throws(SystemError) {
        fd = epoll_create1(Int32(EPOLL_CLOEXEC))
        if fd < 0 { throw SystemError(stage: stage, call: "epoll_create1", object: "", errno: errno) }
    }

    deinit { close(fd) }

    static let readable = UInt32(EPOLLIN.rawValue)
    static let writable = UInt32(EPOLLOUT.rawValue)

    func add(_ watched: Int32, _ interest: UInt32) {
        var event = epoll_event(events: interest, data: epoll_data_t(fd: watched))
        _ = epoll_ctl(fd, EPOLL_CTL_ADD, watched, &event)
    }

    func modify(_ watched: Int32, _ interest: UInt32) {
        var event = epoll_event(events: interest, data: epoll_data_t(fd: watched))
        _ = epoll_ctl(fd, EPOLL_CTL_MOD, watched, &event)
    }

    func remove(_ watched: Int32) {
        _ = epoll_ctl(fd, EPOLL_CTL_DEL, watched, nil)
    }

    /// Waits up to `timeout` milliseconds (-1: forever) and calls `body` for each ready descriptor.
    func wait(timeout: Int32, _ body: (_ fd: Int32, _ events: UInt32) -> Void) {
        let count = events.withUnsafeMutableBufferPointer { epoll_wait(fd, $0.baseAddress, Int32($0.count), timeout) }
        guard count > 0 else { return }
        for index in 0..<Int(count) { body(events[index].data.fd, events[index].events) }
    }
}

/// A thread that runs one service's event loop (a DNS server, a forwarder), and the eventfd that
/// tells it to stop. The loop runs on a thread of its own, never on Swift's cooperative pool: it
/// blocks in epoll_wait. Idle, it costs one sleeping thread and no CPU.
final class LoopThread: Sendable {
    /// Readable once `stop()` was called: loops watch it with their other descriptors.
    let stopFD: Int32
    private let thread: Mutex<pthread_t?> = Mutex(nil)
    private let stopped = Atomic<Bool>(false)

    init(stage: String) throws(SystemError) {
        stopFD = eventfd(0, Int32(EFD_CLOEXEC) | Int32(EFD_NONBLOCK))
        if stopFD < 0 { throw SystemError(stage: stage, call: "eventfd", object: "", errno: errno) }
    }

    deinit { close(stopFD) }

    var isStopping: Bool { stopped.load(ordering: .acquiring) }

    /// Starts `body` on a new thread. `body` returns when `stopFD` becomes readable.
    func start(stage: String, _ body: @escaping @Sendable () -> Void) throws(SystemError) {
        final class Box: Sendable {
            let body: @Sendable () -> Void
            init(_ body: @escaping @Sendable () -> Void) { self.body = body }
        }
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var handle = pthread_t()
        let result = pthread_create(&handle, nil, { argument in
            guard let argument else { return nil }
            Unmanaged<Box>.fromOpaque(argument).takeRetainedValue().body()
            return nil
        }, box)
        if result != 0 {
            Unmanaged<Box>.fromOpaque(box).release()
            throw SystemError(stage: stage, call: "pthread_create", object: "", errno: result)
        }
        thread.withLock { $0 = handle }
    }

    /// Wakes the loop, waits for its thread to finish. Idempotent; must not be called from the loop.
    func stop() {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        var one: UInt64 = 1
        _ = write(stopFD, &one, 8)
        if let handle = thread.withLock({ $0 }) { pthread_join(handle, nil) }
    }
}

/// Monotonic seconds, for deadlines and idle timeouts.
func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}
