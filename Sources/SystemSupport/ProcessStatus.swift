#if canImport(Glibc)
import Glibc
#endif

/// How a process ended.
public enum ExitStatus: Sendable, Hashable, Codable {
    case exited(Int32)
    case signaled(Int32)

    /// The shell's convention: the exit code, or 128 + the signal number.
    public var shellCode: Int32 {
        switch self {
        case .exited(let code): code
        case .signaled(let signal): 128 + signal
        }
    }
}

/// Waiting for and signalling processes.
public enum Processes {
    /// Blocks until `pid` ends. Call it from a thread of its own, never from the cooperative pool.
    public static func wait(_ pid: pid_t, stage: String) throws(SystemError) -> ExitStatus {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { throw SystemError(stage: stage, call: "waitpid", object: "\(pid)", errno: errno) }
        }
        let signal = status & 0x7f
        return signal == 0 ? .exited((status >> 8) & 0xff) : .signaled(signal)
    }

    /// Whether a process with this PID exists (it may be a zombie).
    public static func exists(_ pid: pid_t) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }

    /// The process's start time in clock ticks since boot (field 22 of /proc/PID/stat), which
    /// together with the PID identifies a process across PID reuse.
    public static func startTime(_ pid: pid_t) -> UInt64? {
        guard let stat = try? Files.read("/proc/\(pid)/stat", stage: "proc") else { return nil }
        // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let rest = stat[stat.index(after: close)...].split(separator: " ")
        // rest[0] is field 3 (state); field 22 is rest[19].
        guard rest.count > 19 else { return nil }
        return UInt64(rest[19])
    }

    /// The one-letter state of /proc/PID/stat (`R`, `S`, `Z`, …).
    public static func state(_ pid: pid_t) -> Character? {
        guard let stat = try? Files.read("/proc/\(pid)/stat", stage: "proc"),
              let close = stat.lastIndex(of: ")") else { return nil }
        return stat[stat.index(after: close)...].split(separator: " ").first?.first
    }
}
