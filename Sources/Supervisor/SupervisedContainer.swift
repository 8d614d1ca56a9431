import Foundation

/// What the supervisor knows of one container. The engine reads it from its durable store, so a
/// new supervisor adopting a project sees what the previous one left: restart counts, health,
/// and whether the user stopped the container.
public struct SupervisedContainer: Sendable, Hashable, Codable {
    public enum State: String, Sendable, Hashable, Codable {
        case created, running, paused, restarting, exited
    }

    public var id: String
    public var name: String
    public var service: String
    public var state: State
    /// The container's process, while it runs.
    public var pid: Int32?
    /// The process that waits for it and records its exit (berth-init's monitor): the one to
    /// watch, since its end means the exit status is on disk.
    public var monitorPID: Int32?
    /// How the last run ended; nil while running or when nobody recorded it (after a reboot).
    public var exitCode: Int32?
    public var policy: RestartPolicy
    public var healthCheck: HealthCheck?
    /// The health state machine, for containers with a check; nil before the first probe.
    public var health: HealthState?
    public var restartCount: Int
    /// The back-off the next restart after a short run waits (`RestartBackoff.delay`), as the
    /// store keeps it; nil for the first restart.
    public var restartDelay: Double?
    /// Set by the engine when the user stops or kills the container, cleared when the user starts it.
    public var stoppedByUser: Bool
    public var startedAt: Date?
    public var finishedAt: Date?

    public init(id: String, name: String, service: String, state: State, pid: Int32? = nil, exitCode: Int32? = nil,
                policy: RestartPolicy = .no, healthCheck: HealthCheck? = nil, health: HealthState? = nil,
                restartCount: Int = 0, restartDelay: Double? = nil, stoppedByUser: Bool = false,
                startedAt: Date? = nil, finishedAt: Date? = nil) {
        self.id = id
        self.name = name
        self.service = service
        self.state = state
        self.pid = pid
        self.exitCode = exitCode
        self.policy = policy
        self.healthCheck = healthCheck
        self.health = health
        self.restartCount = restartCount
        self.restartDelay = restartDelay
        self.stoppedByUser = stoppedByUser
        self.startedAt = startedAt
        self.finishedAt = finishedAt
    }
}

/// Whether a set of containers is up as `up --wait` and systemd's `READY=1` mean it: every
/// container running (and healthy when it has a check), one-shot containers that exited 0 done.
public enum Readiness: Sendable, Hashable, Codable {
    case ready
    /// Still coming up; the names of what is awaited.
    case waiting([String])
    /// Will not get there by itself: which container and why.
    case failed(container: String, reason: String)

    public static func of(_ containers: [SupervisedContainer]) -> Readiness {
        var waiting: [String] = []
        for container in containers.sorted(by: { $0.name < $1.name }) {
            switch container.state {
            case .running:
                guard container.healthCheck != nil else { continue }
                switch container.health?.status ?? .starting {
                case .healthy: continue
                case .starting: waiting.append("\(container.name) (health: starting)")
                case .unhealthy: return .failed(container: container.name, reason: "is unhealthy")
                }
            case .exited where container.exitCode == 0:
                continue
            case .exited:
                let code = container.exitCode.map { "with code \($0)" } ?? "(exit code unknown)"
                return .failed(container: container.name, reason: "exited \(code)")
            case .created, .paused, .restarting:
                waiting.append("\(container.name) (\(container.state.rawValue))")
            }
        }
        return waiting.isEmpty ? .ready : .waiting(waiting)
    }
}
