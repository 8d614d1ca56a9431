#if canImport(Glibc)
import Glibc
#endif
import SystemSupport

/// The rootless network namespace of this user: a `berth-init netns-holder` process that owns a
/// user namespace (mapped from /etc/subuid like every rootless container) and a network
/// namespace holding the user's bridges, and hands out sockets opened inside them over a unix
/// socket (SCM_RIGHTS). rtnetlink judges a socket by its opener, root in that user namespace,
/// so the same `Netlink` code that runs rootful drives the rootless bridges and veths.
///
/// Rootless containers join the holder's user namespace (`userNamespacePath`), so their network
/// namespaces belong to it too and the holder may reach into them (`netlink(inNamespaceOf:)`).
public final class NamespaceHolder: Sendable {
    /// The unix socket the holder answers on.
    public let socketPath: String
    /// The holder's PID.
    public let pid: Int32

    /// The holder's user namespace, for containers to join.
    public var userNamespacePath: String { "/proc/\(pid)/ns/user" }

    /// Connects to the holder whose socket and PID file are in `directory`, starting one when
    /// none answers.
    ///
    /// - Parameters:
    ///   - initPath: the `berth-init` executable.
    ///   - uidMap, gidMap: the ID maps in newuidmap's argument form (`0 1000 1 1 100000 65536`).
    ///   - slirp4netns: when given, a new holder gets a way out through it (`tap0`) and forwards.
    public static func connect(directory: String, initPath: String, newuidmap: String, newgidmap: String,
                               uidMap: String, gidMap: String, slirp4netns: String? = nil) throws(NetworkingError) -> NamespaceHolder {
        if let holder = existing(directory: directory) { return holder }
        let socketPath = directory + "/netns.sock", pidFile = directory + "/netns.pid"
        do {
            try Files.makeDirectories(directory, mode: 0o700, stage: "netns holder")
            let arguments = [initPath, "netns-holder", socketPath, pidFile, newuidmap, newgidmap, uidMap, gidMap] + (slirp4netns.map { [$0] } ?? [])
            let outcome = try Spawn.runHelper(initPath, arguments: arguments, environment: [], stage: "netns holder")
            guard outcome.status.shellCode == 0 else {
                throw NetworkingError(.system, object: "rootless network namespace",
                                      "berth-init netns-holder exited \(outcome.status.shellCode): \(outcome.errors.isEmpty ? "no reason given" : outcome.errors)")
            }
        } catch let error as SystemError {
            throw NetworkingError(.system, object: "rootless network namespace", error.description, errno: error.errno)
        } catch let error as NetworkingError {
            throw error
        } catch {
            throw NetworkingError(.system, object: "rootless network namespace", "\(error)")
        }
        guard let pid = running(pidFile: pidFile) else {
            throw NetworkingError(.system, object: "rootless network namespace", "the holder started but \(pidFile) names no live process")
        }
        return NamespaceHolder(socketPath: socketPath, pid: pid)
    }

    /// The holder whose socket and PID file are in `directory` when one answers; never starts one.
    public static func existing(directory: String) -> NamespaceHolder? {
        let socketPath = directory + "/netns.sock"
        guard let pid = running(pidFile: directory + "/netns.pid"), canConnect(socketPath) else { return nil }
        return NamespaceHolder(socketPath: socketPath, pid: pid)
    }

    init(socketPath: String, pid: Int32) {
        self.socketPath = socketPath
        self.pid = pid
    }

    /// A socket opened inside the holder's network namespace (where the bridges are).
    public func socket(domain: Int32, type: Int32, protocol: Int32 = 0) throws(NetworkingError) -> Int32 {
        try one(try request(op: 1, domain: domain, type: type, protocol: `protocol`, pid: 0))
    }

    /// Up to `count` (at most 16) sockets opened inside the holder's network namespace in one
    /// round trip, at least one. A holder started by an older berth answers EINVAL: then one.
    public func sockets(domain: Int32, type: Int32, protocol: Int32 = 0, count: Int) throws(NetworkingError) -> [Int32] {
        do {
            return try request(op: 4, domain: domain, type: type, protocol: `protocol`, pid: Int32(min(max(count, 1), 16)))
        } catch where error.errno == EINVAL {
            return [try socket(domain: domain, type: type, protocol: `protocol`)]
        }
    }

    /// A socket opened inside the network namespace of process `pid` (a container that joined
    /// the holder's user namespace).
    public func socket(inNamespaceOf pid: Int32, domain: Int32, type: Int32, protocol: Int32 = 0) throws(NetworkingError) -> Int32 {
        try one(try request(op: 2, domain: domain, type: type, protocol: `protocol`, pid: pid))
    }

    /// Whether the namespace has a way out (slirp4netns's `tap0`).
    public func hasOutbound() throws(NetworkingError) -> Bool {
        try netlink().link(named: "tap0") != nil
    }

    /// rtnetlink in the holder's network namespace.
    public func netlink() throws(NetworkingError) -> Netlink {
        try Self.netlink(try socket(domain: AF_NETLINK, type: Int32(SOCK_RAW.rawValue)))
    }

    /// rtnetlink in the network namespace of process `pid`.
    public func netlink(inNamespaceOf pid: Int32) throws(NetworkingError) -> Netlink {
        try Self.netlink(try socket(inNamespaceOf: pid, domain: AF_NETLINK, type: Int32(SOCK_RAW.rawValue)))
    }

    /// Ends the holder: its bridges go with its network namespace.
    public func stop() throws(NetworkingError) {
        do { _ = try request(op: 3, domain: 0, type: 0, protocol: 0, pid: 0) } catch where error.code == .protocolError {}
    }

    private static func netlink(_ fd: Int32) throws(NetworkingError) -> Netlink {
        do { return try Netlink(socket: fd) } catch {
            close(fd)
            throw error
        }
    }

    private func one(_ descriptors: [Int32]) throws(NetworkingError) -> Int32 {
        guard let first = descriptors.first else {
            throw NetworkingError(.protocolError, object: "rootless network namespace (holder \(pid))", "the holder answered without a descriptor")
        }
        for extra in descriptors.dropFirst() { close(extra) }
        return first
    }

    /// One request on a connection of its own; the answer's errno, and the descriptors.
    private func request(op: Int32, domain: Int32, type: Int32, protocol: Int32, pid: Int32) throws(NetworkingError) -> [Int32] {
        let object = "rootless network namespace (holder \(self.pid))"
        let connection = try Self.connectSocket(socketPath, object: object)
        defer { close(connection) }
        let record: [Int32] = [op, domain, type, `protocol`, pid]
        let sent = record.withUnsafeBytes { write(connection, $0.baseAddress, $0.count) }
        if sent != 20 { throw .system("write request", object) }

        var answer: Int32 = 0
        let controlSize = 128  // CMSG_SPACE(16 * sizeof(int)) is 80 on 64-bit Linux
        var control = [UInt8](repeating: 0, count: controlSize)
        let received = withUnsafeMutableBytes(of: &answer) { answerBytes in
            control.withUnsafeMutableBytes { controlBytes in
                var vector = iovec(iov_base: answerBytes.baseAddress, iov_len: answerBytes.count)
                return withUnsafeMutablePointer(to: &vector) { vectorPointer in
                    var message = msghdr()
                    message.msg_iov = vectorPointer
                    message.msg_iovlen = 1
                    message.msg_control = controlBytes.baseAddress
                    message.msg_controllen = controlBytes.count
                    let count = recvmsg(connection, &message, Int32(MSG_CMSG_CLOEXEC))
                    return (count, message.msg_controllen)
                }
            }
        }
        if received.0 < 0 { throw .system("recvmsg", object) }
        if received.0 != 4 { throw NetworkingError(.protocolError, object: object, "the holder closed the connection without an answer") }
        if op == 3 { return [] }
        if answer != 0 { throw NetworkingError(.system, object: object, "socket inside the namespace: \(String(cString: strerror(answer)))", errno: answer) }
        // struct cmsghdr: len (8), level (4), type (4), then the descriptors.
        guard received.1 >= 20 else { throw NetworkingError(.protocolError, object: object, "the holder answered without a descriptor") }
        return control.withUnsafeBytes { raw in
            let length = min(Int(raw.load(as: UInt64.self)), received.1, controlSize)
            return (0..<max(0, (length - 16) / 4)).map { raw.load(fromByteOffset: 16 + 4 * $0, as: Int32.self) }
        }
    }

    private static func connectSocket(_ path: String, object: String) throws(NetworkingError) -> Int32 {
        let fd = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        if fd < 0 { throw .system("socket AF_UNIX", object) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(fd)
            throw NetworkingError(.system, object: path, "the socket path is longer than a unix socket allows")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if connected < 0 {
            let error = NetworkingError.system("connect", path)
            close(fd)
            throw error
        }
        return fd
    }

    private static func canConnect(_ path: String) -> Bool {
        guard let fd = try? connectSocket(path, object: path) else { return false }
        close(fd)
        return true
    }

    private static func running(pidFile: String) -> Int32? {
        guard let text = try? Files.read(pidFile, stage: "netns holder"),
              let line = text.split(separator: "\n").first, let pid = Int32(line), Processes.exists(pid) else { return nil }
        return pid
    }
}
