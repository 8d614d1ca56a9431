#if canImport(Glibc)
import Glibc
#endif

/// A failed Linux call: which stage of which operation, which syscall, on which object, and errno.
///
/// The description reads like crun's errors: `spawn monitor: posix_spawn /x/berth-init: ENOENT …`.
public struct SystemError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What Berth was doing ("spawn monitor", "state dir").
    public var stage: String
    /// The syscall or library call that failed.
    public var call: String
    /// The path, PID or other object the call acted on.
    public var object: String
    /// The errno value.
    public var errno: Int32

    public init(stage: String, call: String, object: String, errno: Int32) {
        self.stage = stage
        self.call = call
        self.object = object
        self.errno = errno
    }

    public var description: String {
        "\(stage): \(call) \(object): \(String(cString: strerror(errno)))"
    }
}
