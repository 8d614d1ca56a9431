#if canImport(Glibc)
import Glibc
#endif
import EngineAPI
import Foundation

/// Brings up the loopback interface of a container's new network namespace: the kernel creates
/// `lo` down, and until networks exist (issue 5) it is all a container has. Runs on a thread of
/// its own because `setns` moves only the calling thread, which then ends with the namespace.
enum Loopback {
    static let clone_newnet: Int32 = 0x4000_0000

    /// Raises `lo` in the network namespace of `pid`. Needs CAP_SYS_ADMIN over that namespace
    /// and in the caller's own user namespace (`netns_install`), so only root can do it this way.
    static func bringUp(pid: Int32, container: String) async throws(EngineError) {
        try await Blocking.run { () throws(EngineError) in
            let path = "/proc/\(pid)/ns/net"
            let namespace = open(path, O_RDONLY | O_CLOEXEC)
            if namespace < 0 { throw failure("open \(path)", container) }
            defer { close(namespace) }
            guard let setns = setnsFunction else { throw EngineError(.failed, object: "container \(container)", "setns is not available in this libc") }
            if setns(namespace, clone_newnet) < 0 { throw failure("setns \(path)", container) }
            let socketFD = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            if socketFD < 0 { throw failure("socket", container) }
            defer { close(socketFD) }
            var request = ifreq()
            withUnsafeMutableBytes(of: &request.ifr_ifrn.ifrn_name) { name in
                for (index, byte) in "lo".utf8.enumerated() { name[index] = byte }
            }
            if ioctl(socketFD, UInt(SIOCGIFFLAGS), &request) < 0 { throw failure("ioctl SIOCGIFFLAGS lo", container) }
            request.ifr_ifru.ifru_flags |= Int16(IFF_UP)
            if ioctl(socketFD, UInt(SIOCSIFFLAGS), &request) < 0 { throw failure("ioctl SIOCSIFFLAGS lo", container) }
        }
    }

    /// glibc's `setns`, which the Glibc module hides behind `_GNU_SOURCE` (and `syscall` is
    /// variadic, so Swift cannot call it): looked up by name, with the prototype of setns(2).
    private static let setnsFunction: (@convention(c) (Int32, Int32) -> Int32)? = {
        guard let symbol = dlsym(nil, "setns") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
    }()

    private static func failure(_ call: String, _ container: String) -> EngineError {
        EngineError(.failed, object: "container \(container)", "bringing up loopback: \(call): \(String(cString: strerror(errno)))")
    }
}
