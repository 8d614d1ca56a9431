import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Serializes commands on one project: an exclusive `flock` on `<directory>/<project>.lock`,
/// held until `release()` or deinit. Commands on other projects never wait. The kernel drops the
/// lock when its holder dies, `kill -9` included, so a crash never leaves a project locked.
/// The holder's pid is written into the file so a waiting command can say who it waits for.
public final class ProjectLock: Sendable {
    public let path: String
    private let descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// Takes the lock, waiting up to `timeout` for another command to finish.
    public static func acquire(project: String, directory: String,
                               timeout: Duration = .seconds(60)) throws(StateError) -> ProjectLock {
        let path = directory + "/" + project + ".lock"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw StateError(.lockFile, directory, "cannot create the lock directory: \(error)")
        }
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw StateError(.lockFile, path, "open: \(String(cString: strerror(errno)))")
        }
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            let error = errno
            guard error == EWOULDBLOCK || error == EINTR else {
                close(descriptor)
                throw StateError(.lockFile, path, "flock: \(String(cString: strerror(error)))")
            }
            if ContinuousClock.now >= deadline {
                let holder = holderPID(descriptor).map { " (pid \($0))" } ?? ""
                close(descriptor)
                throw StateError(.lockTimeout, path,
                                 "another berth command\(holder) is working on project \"\(project)\"; try again when it is done")
            }
            usleep(20_000)
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pid.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        return ProjectLock(path: path, descriptor: descriptor)
    }

    /// Releases the lock now rather than at deinit.
    public func release() {
        _ = flock(descriptor, LOCK_UN)
    }

    private static func holderPID(_ descriptor: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        return Int32(String(decoding: buffer[..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
