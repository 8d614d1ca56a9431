#if canImport(Glibc)
import Glibc
#endif

/// A network namespace, held open by a descriptor of its nsfs file (`/proc/<pid>/ns/net`), and
/// the way into it: sockets opened inside it and then used from anywhere.
///
/// `setns` moves only the calling thread, and a thread of Swift's pools must never change
/// namespace (the next task scheduled on it would run in the container). So every entry runs
/// on a short-lived pthread of its own that enters, opens the socket, and ends; the socket
/// keeps the namespace it was made in. `setns` needs CAP_SYS_ADMIN in the caller's own user
/// namespace as well as over the target: this is the rootful path. Rootless, the same sockets
/// come from the per-user namespace holder (issue 5's second slice), behind the same API.
public final class NetworkNamespace: Sendable {
    /// The nsfs descriptor; closed when this object goes (the namespace itself lives on while
    /// a process or another descriptor holds it).
    public let descriptor: Int32
    /// What the namespace is, for messages: `network namespace of 1234`.
    public let name: String

    static let cloneNewNet: Int32 = 0x4000_0000

    /// Takes ownership of `descriptor`, an open nsfs file of a network namespace.
    public init(descriptor: Int32, name: String) {
        self.descriptor = descriptor
        self.name = name
    }

    deinit { close(descriptor) }

    /// The network namespace of process `pid`.
    public static func of(pid: Int32) throws(NetworkingError) -> NetworkNamespace {
        let path = "/proc/\(pid)/ns/net"
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw .system("open", path) }
        return NetworkNamespace(descriptor: fd, name: "network namespace of \(pid)")
    }

    /// A new, empty network namespace (only `lo`, down) that lives as long as this object.
    /// Needs CAP_SYS_ADMIN; the tests use it for throwaway namespaces.
    public static func create() throws(NetworkingError) -> NetworkNamespace {
        let fd = try onOwnThread { () throws(NetworkingError) -> Int32 in
            guard let unshare = unshareFunction else { throw NetworkingError(.system, object: "network namespace", "unshare is not in this libc") }
            if unshare(cloneNewNet) < 0 { throw .system("unshare CLONE_NEWNET", "network namespace") }
            let fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
            if fd < 0 { throw .system("open", "/proc/thread-self/ns/net") }
            return fd
        }
        return NetworkNamespace(descriptor: fd, name: "network namespace \(fd)")
    }

    /// A socket opened inside this namespace (`AF_INET`/`SOCK_STREAM` for a forwarder's
    /// outbound connection, `AF_NETLINK`/`SOCK_RAW` for rtnetlink, …), close-on-exec. The
    /// caller owns the descriptor.
    public func socket(domain: Int32, type: Int32, protocol: Int32 = 0) throws(NetworkingError) -> Int32 {
        let namespace = descriptor
        let name = self.name
        return try Self.onOwnThread { () throws(NetworkingError) -> Int32 in
            guard let setns = NetworkNamespace.setnsFunction else { throw NetworkingError(.system, object: name, "setns is not in this libc") }
            if setns(namespace, NetworkNamespace.cloneNewNet) < 0 { throw .system("setns", name) }
            let fd = Glibc.socket(domain, type | Int32(SOCK_CLOEXEC.rawValue), `protocol`)
            if fd < 0 { throw .system("socket", name) }
            return fd
        }
    }

    /// An rtnetlink client acting inside this namespace.
    public func netlink() throws(NetworkingError) -> Netlink {
        let fd = try socket(domain: AF_NETLINK, type: Int32(SOCK_RAW.rawValue), protocol: 0)
        do { return try Netlink(socket: fd) } catch {
            close(fd)
            throw error
        }
    }

    /// Runs `body` on a new pthread and waits for it: the thread's namespace changes die with it.
    static func onOwnThread(_ body: @escaping () throws(NetworkingError) -> Int32) throws(NetworkingError) -> Int32 {
        let box = ThreadBox(body)
        let context = Unmanaged.passRetained(box).toOpaque()
        var thread = pthread_t()
        let created = pthread_create(&thread, nil, { raw in
            guard let raw else { return nil }
            let box = Unmanaged<ThreadBox>.fromOpaque(raw).takeRetainedValue()
            box.result = Result { () throws(NetworkingError) -> Int32 in try box.body() }
            return nil
        }, context)
        if created != 0 {
            Unmanaged<ThreadBox>.fromOpaque(context).release()
            throw .system("pthread_create", "namespace thread", errno: created)
        }
        pthread_join(thread, nil)
        // pthread_join orders the thread's write of `result` before this read.
        guard let result = box.result else { throw NetworkingError(.system, object: "namespace thread", "ended without a result") }
        return try result.get()
    }

    // glibc hides setns and unshare behind _GNU_SOURCE in the Glibc module, and `syscall` is
    // variadic: both are looked up by name, with their prototypes from setns(2) and unshare(2).
    static let setnsFunction: (@convention(c) (Int32, Int32) -> Int32)? = {
        guard let symbol = dlsym(nil, "setns") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
    }()

    private static let unshareFunction: (@convention(c) (Int32) -> Int32)? = {
        guard let symbol = dlsym(nil, "unshare") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32) -> Int32).self)
    }()
}

/// The work and the result of one namespace thread.
private final class ThreadBox {
    let body: () throws(NetworkingError) -> Int32
    var result: Result<Int32, NetworkingError>?
    init(_ body: @escaping () throws(NetworkingError) -> Int32) { self.body = body }
}
