#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// The Linux calls a mechanism makes on files it does not own the format of (cgroupfs, /proc)
/// and on processes, behind one protocol: `LinuxSyscalls` makes them, `RecordingSyscalls`
/// records them against an in-memory file tree, so the order of a set-up or a cleanup and its
/// handling of ENOENT or EBUSY can be tested without a kernel or root.
///
/// Only what Swift does goes through it; berth-init's C (clone, mounts, pivot) does not.
public protocol Syscalls: Sendable {
    /// mkdir(2) of `path` and any missing parents.
    func makeDirectories(_ path: String, stage: String) throws(SystemError)
    /// rmdir(2).
    func removeDirectory(_ path: String, stage: String) throws(SystemError)
    /// open(2) of an existing file for writing, and write(2) of `text` in one call, as cgroupfs
    /// and /proc files want.
    func write(_ text: String, to path: String, stage: String) throws(SystemError)
    /// The whole file as UTF-8.
    func read(_ path: String, stage: String) throws(SystemError) -> String
    /// Whether `path` exists (lstat).
    func exists(_ path: String) -> Bool
    /// Whether this process may write `path` (access W_OK).
    func isWritable(_ path: String) -> Bool
    /// The owner of `path` (stat), nil when it does not exist.
    func owner(_ path: String) -> UInt32?
    /// kill(2).
    func kill(_ pid: Int32, _ signal: Int32, stage: String) throws(SystemError)
    /// Removes a directory tree, not following symlinks; a missing tree is not an error.
    func removeTree(_ path: String, stage: String) throws(SystemError)
    /// Waits `milliseconds` between two polls of the kernel's progress.
    func pause(milliseconds: Int)
}

/// The real calls.
public struct LinuxSyscalls: Syscalls {
    public init() {}

    public func makeDirectories(_ path: String, stage: String) throws(SystemError) {
        try Files.makeDirectories(path, stage: stage)
    }

    public func removeDirectory(_ path: String, stage: String) throws(SystemError) {
        if rmdir(path) < 0 { throw SystemError(stage: stage, call: "rmdir", object: path, errno: errno) }
    }

    public func write(_ text: String, to path: String, stage: String) throws(SystemError) {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        if fd < 0 { throw SystemError(stage: stage, call: "open", object: path, errno: errno) }
        defer { close(fd) }
        try Files.writeAll(fd, Array(text.utf8), object: path, stage: stage)
    }

    public func read(_ path: String, stage: String) throws(SystemError) -> String {
        try Files.read(path, stage: stage)
    }

    public func exists(_ path: String) -> Bool { Files.exists(path) }

    public func isWritable(_ path: String) -> Bool { access(path, W_OK) == 0 }

    public func owner(_ path: String) -> UInt32? {
        var info = stat()
        return stat(path, &info) == 0 ? info.st_uid : nil
    }

    public func kill(_ pid: Int32, _ signal: Int32, stage: String) throws(SystemError) {
        if Glibc.kill(pid, signal) < 0 { throw SystemError(stage: stage, call: "kill", object: "\(pid)", errno: errno) }
    }

    public func removeTree(_ path: String, stage: String) throws(SystemError) {
        try Files.removeTree(path, stage: stage)
    }

    public func pause(milliseconds: Int) { usleep(useconds_t(milliseconds * 1000)) }
}

/// A recording fake: an in-memory tree of directories and files, every call in order, and
/// failures scripted per call and path (`fail(.removeDirectory, "/x", errno: EBUSY, times: 2)`).
/// Pauses are recorded, never slept.
public final class RecordingSyscalls: Syscalls {
    /// One call, with what it was given.
    public enum Call: Sendable, Hashable, CustomStringConvertible {
        case makeDirectories(String)
        case removeDirectory(String)
        case write(String, String)
        case read(String)
        case kill(Int32, Int32)
        case removeTree(String)
        case pause(Int)

        public var description: String {
            switch self {
            case .makeDirectories(let path): "mkdir -p \(path)"
            case .removeDirectory(let path): "rmdir \(path)"
            case .write(let path, let text): "write \(path) \(text)"
            case .read(let path): "read \(path)"
            case .kill(let pid, let signal): "kill \(pid) \(signal)"
            case .removeTree(let path): "rm -r \(path)"
            case .pause(let milliseconds): "pause \(milliseconds)"
            }
        }
    }

    /// The kinds of call a failure can be scripted for.
    public enum Kind: Sendable, Hashable { case makeDirectories, removeDirectory, write, read, kill, removeTree }

    struct State {
        var calls: [Call] = []
        var directories: Set<String> = ["/"]
        var files: [String: String] = [:]
        var owners: [String: UInt32] = [:]
        var readOnly: Set<String> = []
        var failures: [Failure] = []
        var livePIDs: Set<Int32> = []
    }

    struct Failure {
        var kind: Kind
        var path: String
        var errno: Int32
        var remaining: Int
    }

    private let state = Mutex(State())

    public init() {}

    /// Every call so far, in order.
    public var calls: [Call] { state.withLock { $0.calls } }

    /// Calls other than reads and pauses: what changed the system, in order.
    public var changes: [Call] {
        calls.filter {
            switch $0 {
            case .read, .pause: false
            default: true
            }
        }
    }

    /// Adds a directory (and its parents) to the tree, owned by `owner`; `writable: false`
    /// makes `isWritable` false for it (access(2) as a user who may not write there).
    public func addDirectory(_ path: String, owner: UInt32 = 0, writable: Bool = true) {
        state.withLock { state in
            for prefix in Self.prefixes(path) {
                state.directories.insert(prefix)
                if state.owners[prefix] == nil || prefix == path { state.owners[prefix] = owner }
            }
            if !writable { state.readOnly.insert(path) }
        }
    }

    /// Adds a file with `content`, creating its directory.
    public func addFile(_ path: String, _ content: String = "", owner: UInt32 = 0, writable: Bool = true) {
        state.withLock { state in
            // Missing parents appear owned by root; existing ones keep their owner.
            for prefix in Self.prefixes(Self.parent(path)) where !state.directories.contains(prefix) {
                state.directories.insert(prefix)
                state.owners[prefix] = 0
            }
            state.files[path] = content
            state.owners[path] = owner
            if !writable { state.readOnly.insert(path) }
        }
    }

    /// The content of a file in the tree.
    public func file(_ path: String) -> String? { state.withLock { $0.files[path] } }

    /// Whether a directory is in the tree.
    public func hasDirectory(_ path: String) -> Bool { state.withLock { $0.directories.contains(path) } }

    /// Processes `kill` may signal; others fail with ESRCH. Signal 9 or 15 ends them.
    public func addProcess(_ pid: Int32) { state.withLock { _ = $0.livePIDs.insert(pid) } }

    /// The next `times` calls of `kind` on `path` fail with `errno`.
    public func fail(_ kind: Kind, _ path: String, errno: Int32, times: Int = 1) {
        state.withLock { $0.failures.append(Failure(kind: kind, path: path, errno: errno, remaining: times)) }
    }

    static func prefixes(_ path: String) -> [String] {
        var result = ["/"], current = ""
        for component in path.split(separator: "/") {
            current += "/" + component
            result.append(current)
        }
        return result
    }

    static func parent(_ path: String) -> String {
        let parts = path.split(separator: "/").dropLast()
        return "/" + parts.joined(separator: "/")
    }

    /// Records `call` and throws a scripted failure for it, if one is left.
    private func record(_ call: Call, _ kind: Kind, _ path: String, _ stage: String, _ name: String) throws(SystemError) {
        let failure: Int32? = state.withLock { state in
            state.calls.append(call)
            guard let index = state.failures.firstIndex(where: { $0.kind == kind && $0.path == path && $0.remaining > 0 }) else { return nil }
            state.failures[index].remaining -= 1
            return state.failures[index].errno
        }
        if let failure { throw SystemError(stage: stage, call: name, object: path, errno: failure) }
    }

    public func makeDirectories(_ path: String, stage: String) throws(SystemError) {
        try record(.makeDirectories(path), .makeDirectories, path, stage, "mkdir")
        addDirectory(path)
    }

    public func removeDirectory(_ path: String, stage: String) throws(SystemError) {
        try record(.removeDirectory(path), .removeDirectory, path, stage, "rmdir")
        let errno: Int32? = state.withLock { state in
            guard state.directories.contains(path) else { return ENOENT }
            if state.directories.contains(where: { $0.hasPrefix(path + "/") }) { return ENOTEMPTY }
            state.directories.remove(path)
            // cgroupfs files vanish with their directory.
            state.files = state.files.filter { !$0.key.hasPrefix(path + "/") }
            return nil
        }
        if let errno { throw SystemError(stage: stage, call: "rmdir", object: path, errno: errno) }
    }

    public func write(_ text: String, to path: String, stage: String) throws(SystemError) {
        try record(.write(path, text), .write, path, stage, "write")
        let errno: Int32? = state.withLock { state in
            guard state.files[path] != nil else { return ENOENT }
            if state.readOnly.contains(path) { return EACCES }
            state.files[path] = text
            return nil
        }
        if let errno { throw SystemError(stage: stage, call: "open", object: path, errno: errno) }
    }

    public func read(_ path: String, stage: String) throws(SystemError) -> String {
        try record(.read(path), .read, path, stage, "open")
        guard let content = state.withLock({ $0.files[path] }) else {
            throw SystemError(stage: stage, call: "open", object: path, errno: ENOENT)
        }
        return content
    }

    public func exists(_ path: String) -> Bool {
        state.withLock { $0.files[path] != nil || $0.directories.contains(path) }
    }

    public func isWritable(_ path: String) -> Bool {
        state.withLock { state in
            guard state.files[path] != nil || state.directories.contains(path) else { return false }
            return !state.readOnly.contains(path)
        }
    }

    public func owner(_ path: String) -> UInt32? {
        state.withLock { state in
            guard state.files[path] != nil || state.directories.contains(path) else { return nil }
            return state.owners[path] ?? 0
        }
    }

    public func kill(_ pid: Int32, _ signal: Int32, stage: String) throws(SystemError) {
        try record(.kill(pid, signal), .kill, "\(pid)", stage, "kill")
        let alive = state.withLock { state in
            let alive = state.livePIDs.contains(pid)
            if alive && (signal == SIGKILL || signal == SIGTERM) { state.livePIDs.remove(pid) }
            return alive
        }
        if !alive { throw SystemError(stage: stage, call: "kill", object: "\(pid)", errno: ESRCH) }
    }

    public func removeTree(_ path: String, stage: String) throws(SystemError) {
        try record(.removeTree(path), .removeTree, path, stage, "unlink")
        state.withLock { state in
            state.directories = state.directories.filter { $0 != path && !$0.hasPrefix(path + "/") }
            state.files = state.files.filter { $0.key != path && !$0.key.hasPrefix(path + "/") }
        }
    }

    public func pause(milliseconds: Int) {
        state.withLock { $0.calls.append(.pause(milliseconds)) }
    }
}
