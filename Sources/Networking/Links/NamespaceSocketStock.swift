#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import SystemSupport

/// Sockets made ahead of need inside the per-user rootless network namespace, for the services
/// that open one per client (a port forwarder's connection to its container, a UDP flow).
/// Asking the holder for each socket costs a round trip to another process, which must be
/// scheduled, for every accepted connection: on a busy machine that, not the copying, bounded
/// the forwarder's connection rate. The stock is refilled `batch` sockets per round trip
/// (`NamespaceHolder.sockets(domain:type:count:)`). A socket belongs to the namespace it was
/// made in, so when the holder the stock came from has ended (a new one holds new bridges),
/// what is left is closed and the holder looked up again.
public final class NamespaceSocketStock: Sendable {
    struct Kind: Hashable {
        var domain: Int32
        var type: Int32
    }

    struct State {
        var holder: NamespaceHolder?
        var spare: [Kind: [Int32]] = [:]

        mutating func reset(to holder: NamespaceHolder?) {
            for fd in spare.values.joined() { close(fd) }
            spare = [:]
            self.holder = holder
        }
    }

    /// Sockets fetched per round trip; at most this many of each kind sit idle.
    public static let batch = 8
    private let state = Mutex(State())
    private let resolve: @Sendable () throws(NetworkingError) -> NamespaceHolder

    /// - Parameter resolve: the running holder (started when none runs), asked when the stock
    ///   has none or its holder ended.
    public init(resolve: @escaping @Sendable () throws(NetworkingError) -> NamespaceHolder) {
        self.resolve = resolve
    }

    deinit {
        state.withLock { $0.reset(to: nil) }
    }

    /// A new socket of `domain` and `type` inside the namespace, the caller's to close.
    public func socket(domain: Int32, type: Int32) throws(NetworkingError) -> Int32 {
        let kind = Kind(domain: domain, type: type)
        let (current, spare) = state.withLock { state -> (NamespaceHolder?, Int32?) in
            guard let holder = state.holder, Processes.exists(holder.pid) else {
                state.reset(to: nil)
                return (nil, nil)
            }
            return (holder, state.spare[kind]?.popLast())
        }
        if let spare { return spare }
        let holder: NamespaceHolder
        if let current { holder = current } else { holder = try resolve() }
        var fresh = try holder.sockets(domain: domain, type: type, count: Self.batch)
        guard let first = fresh.popLast() else {
            throw NetworkingError(.protocolError, object: "rootless network namespace (holder \(holder.pid))", "the holder answered without a descriptor")
        }
        state.withLock { state in
            if state.holder?.pid != holder.pid { state.reset(to: holder) }
            state.spare[kind, default: []] += fresh
        }
        return first
    }
}
