import CLinuxShim
import EngineAPI
import Foundation
import SystemSupport
#if canImport(Glibc)
import Glibc
#endif

/// Where a project's supervisor lives and how the CLI reaches it: under
/// `<runtime>/supervisors/`, `<project>.pid` (its pid, and the `flock` that makes it the only
/// one), `<project>.sock` (its control socket) and `<project>.log` (its standard output and error).
/// A per-service supervisor (a `--per-service` systemd unit's main process) uses
/// `<project>@<service>.*`: `@` is never in a project name, so the two kinds cannot collide.
/// The lock, not the pid, says whether one runs: the kernel drops it when the supervisor dies,
/// `kill -9` included, so a stale pid file never fools the next command.
public struct SupervisorControl: Sendable, Hashable {
    public let project: String
    /// The one service a per-service supervisor owns; nil for the project's supervisor.
    public let service: String?
    public let directory: String

    public init(locations: EngineLocations, project: String, service: String? = nil) {
        self.project = project
        self.service = service
        directory = locations.runtime + "/supervisors"
    }

    private var baseName: String { service.map { project + "@" + $0 } ?? project }
    public var socketPath: String { directory + "/" + baseName + ".sock" }
    public var pidPath: String { directory + "/" + baseName + ".pid" }
    public var logPath: String { directory + "/" + baseName + ".log" }

    /// The pid written by the supervisor that holds the lock; nil when none runs.
    public func runningPID() -> Int32? {
        guard isRunning(), let bytes = try? Files.readBytes(pidPath, stage: "supervisor") else { return nil }
        return Int32(String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Whether a supervisor holds the project's lock now.
    public func isRunning() -> Bool {
        let descriptor = open(pidPath, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        if flock(descriptor, LOCK_SH | LOCK_NB) == 0 {
            _ = flock(descriptor, LOCK_UN)
            return false
        }
        return true
    }

    /// Makes this process the project's supervisor: takes the lock (nil when another supervisor
    /// holds it) and writes the pid. Held until the process exits.
    public func claim() throws(EngineError) -> Claim? {
        do { try Files.makeDirectories(directory, mode: 0o700, stage: "supervisor") } catch {
            throw EngineError(.failed, object: "supervisor of \(project)", error.description)
        }
        let descriptor = open(pidPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw EngineError(.failed, object: pidPath, "open: \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            return nil
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pid.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        return Claim(descriptor: descriptor)
    }

    /// The lock of the running supervisor; closing the descriptor (or dying) releases it.
    public final class Claim: Sendable {
        let descriptor: Int32
        init(descriptor: Int32) { self.descriptor = descriptor }
        deinit { close(descriptor) }
    }

    /// Starts the project's supervisor, `berth -p <project> supervise`, detached: its own session, standard input from
    /// /dev/null, output appended to the log file, the caller's environment. Returns its pid.
    @discardableResult
    public func start(berth: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(EngineError) -> Int32 {
        do { try Files.makeDirectories(directory, mode: 0o700, stage: "supervisor") } catch {
            throw EngineError(.failed, object: "supervisor of \(project)", error.description)
        }
        let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
        let log = open(logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        defer {
            if null >= 0 { close(null) }
            if log >= 0 { close(log) }
        }
        guard null >= 0, log >= 0 else {
            throw EngineError(.failed, object: logPath, "open: \(String(cString: strerror(errno)))")
        }
        // A systemd unit's readiness socket belongs to the unit's main process, not to this one.
        var environment = environment
        environment["NOTIFY_SOCKET"] = nil
        do {
            return try Spawn.spawn(berth, arguments: [berth, "-p", project, "supervise"],
                                   options: .init(descriptors: [0: null, 1: log, 2: log], newSession: true,
                                                  environment: environment.map { "\($0.key)=\($0.value)" },
                                                  closesOtherDescriptors: true),
                                   stage: "supervisor")
        } catch {
            throw EngineError(.failed, object: "supervisor of \(project)", error.description)
        }
    }

    /// Sends one command line and returns the reply line; nil when no supervisor answers within
    /// `timeout` seconds.
    public func send(_ command: String, timeout: Double = 10) -> String? {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var time = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1_000_000))
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        guard ControlSocket.connect(descriptor, path: socketPath) else { return nil }
        let line = Array((command + "\n").utf8)
        guard line.withUnsafeBytes({ write(descriptor, $0.baseAddress, $0.count) }) == line.count else { return nil }
        return ControlSocket.readLine(descriptor)
    }
}

/// The supervisor's end of the control socket: one line in, one line out, per connection,
/// answered by `handler` (`reload`, `status`, `stop-supervising`). The accept loop has a thread
/// of its own; the handler runs as a task.
public final class ControlSocket: Sendable {
    public let path: String
    private let descriptor: Int32

    public init(path: String, handler: @escaping @Sendable (String) async -> String) throws(EngineError) {
        self.path = path
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw EngineError(.failed, object: path, "socket: \(String(cString: strerror(errno)))") }
        // The caller holds the supervisor lock: a socket file left by a killed supervisor is stale.
        unlink(path)
        guard Self.withAddress(path, { bind(descriptor, $0, $1) }) == 0, listen(descriptor, 16) == 0 else {
            let message = String(cString: strerror(errno))
            Glibc.close(descriptor)
            throw EngineError(.failed, object: path, "bind: \(message)")
        }
        chmod(path, 0o600)
        self.descriptor = descriptor
        let thread = Thread {
            while true {
                let client = accept4(descriptor, nil, nil, Int32(SOCK_CLOEXEC.rawValue))
                if client < 0 {
                    if errno == EINTR || errno == ECONNABORTED { continue }
                    return  // closed
                }
                Task {
                    defer { Glibc.close(client) }
                    guard let line = Self.readLine(client) else { return }
                    let reply = Array((await handler(line) + "\n").utf8)
                    _ = reply.withUnsafeBytes { write(client, $0.baseAddress, $0.count) }
                }
            }
        }
        thread.name = "berth.supervisor.control"
        thread.start()
    }

    /// Stops accepting and removes the socket file.
    public func close() {
        shutdown(descriptor, Int32(SHUT_RDWR))
        Glibc.close(descriptor)
        unlink(path)
    }

    static func connect(_ descriptor: Int32, path: String) -> Bool {
        withAddress(path) { Glibc.connect(descriptor, $0, $1) } == 0
    }

    static func withAddress(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { errno = ENAMETOOLONG; return -1 }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }

    /// Reads up to a newline (at most 64 KiB); nil on error or end before one.
    static func readLine(_ descriptor: Int32) -> String? {
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while line.count < 65536 {
            let count = read(descriptor, &byte, 1)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return line.isEmpty ? nil : String(decoding: line, as: UTF8.self) }
            if byte == UInt8(ascii: "\n") { return String(decoding: line, as: UTF8.self) }
            line.append(byte)
        }
        return String(decoding: line, as: UTF8.self)
    }
}
