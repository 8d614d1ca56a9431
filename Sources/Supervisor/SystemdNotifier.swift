import CSystemd
import Foundation

/// systemd's readiness protocol (`Type=notify`) through libsystemd's `sd_notify`: `READY=1` once,
/// `STATUS=` lines as things change, `STOPPING=1` on the way out. Inert when `NOTIFY_SOCKET` is
/// not set (sd_notify then does nothing), so callers need not check.
public struct SystemdNotifier: Sendable {
    public init() {}

    /// Whether a service manager listens (`NOTIFY_SOCKET` is set).
    public var isActive: Bool { ProcessInfo.processInfo.environment["NOTIFY_SOCKET"]?.isEmpty == false }

    /// Sends `READY=1` with a status line.
    public func ready(status: String) { send("READY=1\nSTATUS=\(Self.oneLine(status))") }

    public func status(_ status: String) { send("STATUS=\(Self.oneLine(status))") }

    public func stopping() { send("STOPPING=1") }

    private func send(_ message: String) {
        // 0: keep NOTIFY_SOCKET, so later messages reach the manager too.
        _ = sd_notify(0, message)
    }

    private static func oneLine(_ text: String) -> String {
        text.replacingOccurrences(of: "\n", with: "; ")
    }

    /// One status line for a set of containers: how many run, what is unhealthy or awaited.
    public static func summary(_ containers: [SupervisedContainer]) -> String {
        let running = containers.filter { $0.state == .running }.count
        var line = "\(running)/\(containers.count) containers running"
        switch Readiness.of(containers) {
        case .ready: line += ", all ready"
        case .waiting(let names): line += "; waiting for " + names.joined(separator: ", ")
        case .failed(let name, let reason): line += "; \(name) \(reason)"
        }
        return line
    }
}
