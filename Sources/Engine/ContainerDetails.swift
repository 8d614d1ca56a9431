import Foundation
import StateStore

/// Everything `berth inspect` shows of one container: the state store's record (state, times,
/// restart count, health log, networks, ports) with the process, mounts and restart policy its
/// bundle and supervision settings hold.
public struct ContainerDetails: Sendable, Hashable, Codable {
    public var id: String
    public var name: String
    public var project: String
    public var service: String
    public var oneoff: Bool
    public var created: Date
    /// docker's `State.Status`: created, running, paused, restarting, exited, dead.
    public var status: String
    /// The host pid of its process while it runs.
    public var pid: Int?
    public var exitCode: Int?
    public var startedAt: Date?
    public var finishedAt: Date?
    public var restartCount: Int
    /// The reference it was created from, and the image id (config digest).
    public var image: String
    public var imageID: String
    public var labels: [String: String]
    /// `starting`, `healthy` or `unhealthy`; nil without a health check.
    public var health: String?
    public var healthFailingStreak: Int
    /// The last probes, oldest first.
    public var healthLog: [HealthLogEntry]
    /// The image's entrypoint and command as the service overrides them (docker's
    /// `Config.Entrypoint` and `Config.Cmd`).
    public var entrypoint: [String]
    public var command: [String]
    public var environment: [String]
    public var workingDirectory: String
    /// As written in the service (`uid[:gid]` or a name); empty for the image's default.
    public var user: String
    public var hostname: String
    public var tty: Bool
    /// `no`, `always`, `on-failure`, `unless-stopped`, and its retry limit (0: none).
    public var restartPolicy: String
    public var restartMaximumRetries: Int
    public var mounts: [Mount]
    public var networks: [AttachmentRecord]
    public var portBindings: [PortBindingRecord]
    public var publishedPorts: [PublishedPortRecord]

    /// A mount the service asked for (the runtime's own /proc, /dev, /sys and network files left out).
    public struct Mount: Sendable, Hashable, Codable {
        /// `bind`, `volume` or `tmpfs`.
        public var type: String
        /// The volume's name, for a named or anonymous volume.
        public var name: String?
        public var source: String
        public var destination: String
        public var readWrite: Bool
    }
}
