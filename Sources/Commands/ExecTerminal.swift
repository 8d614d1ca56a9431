import Foundation
import Synchronization

/// `exec`'s pseudo-terminal when standard input is a terminal: a console socket that receives the
/// pty master berth-init makes inside the container (`SCM_RIGHTS`), this terminal in raw mode with
/// the container's window size set from it, and a relay between the two until the container side
/// closes. The relay runs on threads of its own: it blocks in poll(2) and read(2).
final class ExecTerminal: Sendable {
    let directory: String
    let socketPath: String
    private let listener: Int32
    /// Set once the exec has returned, so a process that failed before connecting ends the wait.
    let finished = Atomic<Bool>(false)

    init() throws {
        var template = Array((NSTemporaryDirectory() + "berth-exec-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw CommandFailure("exec: cannot make a directory for the console socket: \(Self.errorText())") }
        directory = String(cString: made)
        socketPath = directory + "/console.sock"
        listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(socketPath.utf8)
        guard listener >= 0, bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw CommandFailure("exec: cannot make the console socket \(socketPath): \(Self.errorText())")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in bytes.enumerated() { buffer[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, listen(listener, 1) == 0 else {
            throw CommandFailure("exec: cannot listen on \(socketPath): \(Self.errorText())")
        }
    }

    deinit {
        close(listener)
        unlink(socketPath)
        rmdir(directory)
    }

    /// Waits for berth-init's connection and takes the master from it; nil when the exec ended
    /// without connecting (it failed before making the terminal).
    func receiveMaster() -> Int32? {
        while !finished.load(ordering: .acquiring) {
            var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 100) > 0 else { continue }
            // accept4 is not in Glibc's Swift overlay. The only process this one spawns meanwhile,
            // berth-init, is the one connecting: it exists already and cannot inherit this.
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { continue }
            _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
            defer { close(connection) }
            return Self.receiveDescriptor(connection)
        }
        return nil
    }

    /// One descriptor from an `SCM_RIGHTS` message: the control area is a `cmsghdr` followed by the
    /// descriptor, aligned to `size_t` as CMSG_DATA does.
    static func receiveDescriptor(_ connection: Int32) -> Int32? {
        var byte: UInt8 = 0
        let headerSize = MemoryLayout<cmsghdr>.size
        let dataOffset = (headerSize + MemoryLayout<Int>.size - 1) & ~(MemoryLayout<Int>.size - 1)
        var control = [UInt8](repeating: 0, count: dataOffset + 2 * MemoryLayout<Int>.size)
        let received = withUnsafeMutablePointer(to: &byte) { bytePointer in
            control.withUnsafeMutableBytes { controlBuffer in
                var vector = iovec(iov_base: UnsafeMutableRawPointer(bytePointer), iov_len: 1)
                return withUnsafeMutablePointer(to: &vector) { vectorPointer in
                    var message = msghdr()
                    message.msg_iov = vectorPointer
                    message.msg_iovlen = 1
                    message.msg_control = controlBuffer.baseAddress
                    message.msg_controllen = controlBuffer.count
                    return recvmsg(connection, &message, 0)
                }
            }
        }
        guard received >= 0 else { return nil }
        return control.withUnsafeBytes { buffer -> Int32? in
            let header = buffer.loadUnaligned(as: cmsghdr.self)
            guard header.cmsg_level == SOL_SOCKET, header.cmsg_type == Int32(SCM_RIGHTS) else { return nil }
            return buffer.loadUnaligned(fromByteOffset: dataOffset, as: Int32.self)
        }
    }

    /// Copies this terminal's input to `master` and `master`'s output to standard output until the
    /// container side closes (read gives EIO once every slave descriptor is gone), with this
    /// terminal raw meanwhile and restored after.
    static func relay(master: Int32) {
        var saved = termios()
        let isTerminal = tcgetattr(STDIN_FILENO, &saved) == 0
        if isTerminal {
            var raw = saved
            cfmakeraw(&raw)
            tcsetattr(STDIN_FILENO, TCSANOW, &raw)
            var size = winsize()
            if ioctl(STDIN_FILENO, UInt(TIOCGWINSZ), &size) == 0 { _ = ioctl(master, UInt(TIOCSWINSZ), &size) }
        }
        defer { if isTerminal { tcsetattr(STDIN_FILENO, TCSANOW, &saved) } }
        var buffer = [UInt8](repeating: 0, count: 1 << 14)
        var inputOpen = true
        while true {
            var pollers = [pollfd(fd: master, events: Int16(POLLIN), revents: 0),
                           pollfd(fd: inputOpen ? STDIN_FILENO : -1, events: Int16(POLLIN), revents: 0)]
            guard poll(&pollers, 2, -1) >= 0 || errno == EINTR else { return }
            if pollers[0].revents != 0 {
                let count = buffer.withUnsafeMutableBytes { read(master, $0.baseAddress, $0.count) }
                if count <= 0 { return }
                _ = buffer.withUnsafeBytes { writeAll(STDOUT_FILENO, $0.baseAddress, count) }
            }
            if pollers[1].revents != 0 {
                let count = buffer.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress, $0.count) }
                if count <= 0 {
                    inputOpen = false
                } else {
                    _ = buffer.withUnsafeBytes { writeAll(master, $0.baseAddress, count) }
                }
            }
        }
    }

    private static func writeAll(_ descriptor: Int32, _ base: UnsafeRawPointer?, _ count: Int) -> Bool {
        guard let base else { return false }
        var written = 0
        while written < count {
            let step = write(descriptor, base + written, count - written)
            if step < 0 && errno == EINTR { continue }
            guard step > 0 else { return false }
            written += step
        }
        return true
    }

    static func errorText() -> String { String(cString: strerror(errno)) }
}

/// Runs `body` on a thread of its own and returns its result: for blocking calls (poll, read)
/// that must not hold a thread of the cooperative pool.
func onThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: body()) }.start()
    }
}
