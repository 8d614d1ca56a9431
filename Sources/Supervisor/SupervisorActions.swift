/// What the supervisor asks of the engine. The supervisor decides when to restart and probe; the
/// top layer (Engine) says how, over its store, its runtime and the project lock. Implementations
/// must be safe to call from any task.
public protocol SupervisorActions: Sendable {
    /// The project's containers as they are now (state refreshed against the runtime).
    func containers() async throws -> [SupervisedContainer]
    /// The container after its process ended, once its exit is recorded; nil when it is gone.
    func exited(_ id: String) async -> SupervisedContainer?
    /// Starts the stopped container `id` again, recording `restartCount` and `restartDelay` (the
    /// back-off after this restart, so a later supervisor continues it). Returns nil, starting
    /// nothing, when the container changed meanwhile (removed, stopped by the user, started by
    /// someone else): the user's last word wins.
    func restart(_ id: String, restartCount: Int, restartDelay: Double) async throws -> SupervisedContainer?
    /// Runs the health probe inside the container, bounded by the check's timeout.
    func probe(_ id: String, check: HealthCheck) async -> ProbeResult
    /// Makes a health change durable, for `ps`, `inspect`, `up --wait` and a later supervisor.
    func record(health: HealthState, of id: String) async
}

/// Something else the supervisor process hosts (a project's DNS server, its port forwarders):
/// reconfigured on every reload and shut down when the supervisor exits.
public protocol SupervisedComponent: Sendable {
    /// A name for the supervisor's log.
    var name: String { get }
    /// Brings the component in line with the project as it is now; called after each reload.
    func reload() async throws
    /// Releases what the component holds; called once, when the supervisor exits.
    func shutdown() async
}
