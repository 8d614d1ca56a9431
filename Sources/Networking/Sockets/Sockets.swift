#if canImport(Glibc)
import Glibc
#endif
import SystemSupport

/// The socket calls the DNS server and the forwarder share. Every socket is non-blocking and
/// close-on-exec from birth: the loops are event driven, and containers started while a listener
/// is open must not inherit it.
enum Sockets {
    enum Kind: Sendable { case stream, datagram }

    /// Makes a socket of `family` and `type` somewhere: `socket(2)` in the caller's network
    /// namespace, or a rootless network's holder, whose sockets are made inside its namespace.
    typealias Maker = @Sendable (_ family: Int32, _ type: Int32) throws(SystemError) -> Int32

    static let here: Maker = { (family, type) throws(SystemError) -> Int32 in
        let fd = socket(family, type, 0)
        if fd < 0 { throw SystemError(stage: "socket", call: "socket", object: "family \(family)", errno: errno) }
        return fd
    }

    static func open(_ family: Int32, _ kind: Kind, stage: String, maker: Maker = here) throws(SystemError) -> Int32 {
        let type = (kind == .stream ? Int32(SOCK_STREAM.rawValue) : Int32(SOCK_DGRAM.rawValue))
            | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let fd: Int32
        do { fd = try maker(family, type) } catch {
            throw SystemError(stage: stage, call: "socket", object: kind == .stream ? "tcp" : "udp", errno: error.errno)
        }
        // A socket made elsewhere may come without the flags this module relies on.
        setNonBlocking(fd)
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        return fd
    }

    /// A socket bound to `address` (listening, for streams). Port 0 asks the kernel for a free port.
    /// The errno of a failed bind is returned in the error so callers can explain EADDRINUSE and EACCES.
    static func bound(_ address: SocketAddress, _ kind: Kind, stage: String, maker: Maker = here) throws(SystemError) -> Int32 {
        let fd = try open(address.ip.family, kind, stage: stage, maker: maker)
        var one: Int32 = 1
        // Stream listeners take over a port whose previous connections linger in TIME_WAIT, as
        // every server does; it does not let two listeners share a port (that is SO_REUSEPORT).
        if kind == .stream { setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size)) }
        // `[::]` means IPv6 only: 0.0.0.0 is published separately, as docker does.
        if !address.ip.isIPv4 { setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<Int32>.size)) }
        let result = address.withSockAddr { bind(fd, $0, $1) }
        if result < 0 {
            let code = errno
            close(fd)
            throw SystemError(stage: stage, call: "bind", object: address.description, errno: code)
        }
        if kind == .stream && listen(fd, 1024) < 0 {
            let code = errno
            close(fd)
            throw SystemError(stage: stage, call: "listen", object: address.description, errno: code)
        }
        return fd
    }

    /// A socket connecting to `address`; the connection may still be in progress (EINPROGRESS)
    /// when it returns: wait for it to become writable and read SO_ERROR.
    static func connecting(to address: SocketAddress, _ kind: Kind, stage: String, maker: Maker = here) throws(SystemError) -> Int32 {
        let fd = try open(address.ip.family, kind, stage: stage, maker: maker)
        let result = address.withSockAddr { connect(fd, $0, $1) }
        if result < 0 && errno != EINPROGRESS {
            let code = errno
            close(fd)
            throw SystemError(stage: stage, call: "connect", object: address.description, errno: code)
        }
        return fd
    }

    static func localAddress(_ fd: Int32) -> SocketAddress? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return result == 0 ? SocketAddress(storage: storage) : nil
    }

    /// The pending error of a socket (a finished non-blocking connect), 0 when there is none.
    static func pendingError(_ fd: Int32) -> Int32 {
        var code: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        return getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length) == 0 ? code : errno
    }

    static func setNonBlocking(_ fd: Int32) {
        let flags = fcntl(fd, F_GETFL)
        if flags >= 0 && flags & O_NONBLOCK == 0 { _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
    }

    /// Closes with a reset instead of a FIN, so a peer learns that the other side failed.
    static func abort(_ fd: Int32) {
        var option = linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
        close(fd)
    }

    /// Receives one datagram and who sent it; nil when nothing is queued (or on error, which for
    /// a datagram socket only concerns that datagram).
    static func receive(_ fd: Int32, into buffer: inout [UInt8]) -> (count: Int, from: sockaddr_storage, length: socklen_t)? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        while true {
            let n = buffer.withUnsafeMutableBytes { raw in
                withUnsafeMutablePointer(to: &storage) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, raw.baseAddress, raw.count, 0, $0, &length) }
                }
            }
            if n >= 0 { return (n, storage, length) }
            if errno == EINTR { continue }
            return nil
        }
    }

    /// Sends one datagram to a raw peer address as `receive` returned it; a failure drops it, as
    /// the network would.
    static func send(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, to peer: sockaddr_storage, length: socklen_t) {
        var peer = peer
        _ = withUnsafePointer(to: &peer) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), $0, length) }
        }
    }
}
