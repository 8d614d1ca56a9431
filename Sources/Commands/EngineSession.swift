import ComposeSpec
import Engine
import EngineAPI
import Foundation
import Logging
import Reconciler
import StateStore

/// What the container commands (`up`, `down`, `ps`) share: a `LocalEngine` over this user's
/// locations and the project lock, with every lower-layer error turned into a `CommandFailure`.
struct EngineSession {
    let engine: LocalEngine

    /// `EngineLocations.current()`, with `BERTH_RUNTIME_DIR` replacing the runtime directory
    /// (`/run/berth` as root) so tests and side-by-side installs keep their live state apart.
    static func locations(environment: [String: String] = ProcessInfo.processInfo.environment) -> EngineLocations {
        var locations = EngineLocations.current(environment: environment)
        if let runtime = environment["BERTH_RUNTIME_DIR"], runtime.hasPrefix("/") {
            locations.runtime = runtime
        }
        return locations
    }

    init(engine: LocalEngine) {
        self.engine = engine
    }

    init() throws {
        do {
            engine = try LocalEngine(locations: Self.locations())
        } catch {
            throw CommandFailure(message: error.description)
        }
    }

    /// Takes the lock that serializes commands on `project`; it lives in the runtime directory
    /// because it guards live state, and a reboot that empties that directory ends every holder.
    func lock(project: String) throws -> ProjectLock {
        do {
            return try ProjectLock.acquire(project: project, directory: engine.locations.runtime + "/locks")
        } catch {
            throw CommandFailure(message: "\(error)")
        }
    }

    // MARK: the project supervisor

    /// Starts the project's supervisor when none runs (never started, or killed) and the project
    /// has something to supervise; a new supervisor adopts the running containers. Failing to start
    /// one is a warning: the command itself has done its work.
    func superviseIfNeeded(project: String) {
        let control = SupervisorControl(locations: engine.locations, project: project)
        guard !control.isRunning(), engine.needsSupervisor(project: project) else { return }
        do { try control.start(berth: engine.berthPath) } catch {
            Console.warn("\(error.description); restart policies and health checks of \(project) are not applied until the next command starts one")
        }
    }

    /// Whether the project's supervisor runs.
    func isSupervised(project: String) -> Bool {
        SupervisorControl(locations: engine.locations, project: project).isRunning()
    }

    /// After a change (up): tells the project's supervisor to read the project again, starting
    /// one when none runs. Returns what it could not do (a published port another process holds),
    /// nil when all is well or no supervisor is needed. A supervisor started here is waited for
    /// only with `waitForNew` (a project that publishes ports, whose failures `up` must report):
    /// otherwise the command returns while it starts.
    @discardableResult
    func reloadSupervisor(project: String, waitForNew: Bool = false) -> String? {
        let control = SupervisorControl(locations: engine.locations, project: project)
        if !control.isRunning() {
            guard engine.needsSupervisor(project: project) else { return nil }
            superviseIfNeeded(project: project)
            guard waitForNew else { return nil }
            // A new supervisor loads the project as it starts; asking it to reload once its
            // socket answers brings back what that could not do.
            for _ in 0..<300 where control.send("status", timeout: 1) == nil { usleep(10_000) }
        }
        guard let answer = control.send("reload") else { return nil }
        return answer.hasPrefix("error ") ? String(answer.dropFirst("error ".count)) : nil
    }

    /// After down: a project with no containers left needs no supervisor.
    func releaseSupervisor(project: String, observed: ObservedState) {
        let control = SupervisorControl(locations: engine.locations, project: project)
        guard control.isRunning() else { return }
        _ = control.send(observed.containers.isEmpty ? "stop-supervising" : "reload")
    }

    /// The project's containers, networks and volumes as the engine sees them now.
    func observe(project: String) async throws -> ObservedState {
        do {
            return try await engine.observe(project: project)
        } catch {
            throw CommandFailure(message: error.description)
        }
    }

    /// The desired state of `project`; a project the reconciler cannot model is a user error.
    static func desired(_ project: Project) throws -> DesiredState {
        do {
            return try DesiredState(project: project)
        } catch {
            throw CommandFailure(message: error.description)
        }
    }

    /// A `PlanExecutor` on this engine that prints one docker compose progress line per finished
    /// step. Its log says what those lines and the final `error:` lines say, so it is silent
    /// unless `BERTH_LOG_LEVEL` (trace … critical) asks for it.
    func executor(parallelism: Int, quiet: Bool = false, dependencyTimeout: Double? = nil) -> PlanExecutor {
        var logger = Logger(label: "berth.reconciler")
        logger.logLevel = ProcessInfo.processInfo.environment["BERTH_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
        var executor = PlanExecutor(engine: engine, parallelism: parallelism, logger: logger) { step, event in
            guard !quiet, let line = ProgressLine.line(for: step, event: event) else { return }
            Console.out(line)
        }
        executor.dependencyTimeout = dependencyTimeout
        return executor
    }

    /// Applies `plan`, printing one progress line per finished step, and fails with every
    /// failure (each names its service) when one step did.
    func apply(_ plan: Plan, desired: DesiredState?, observed: ObservedState, parallelism: Int, quiet: Bool = false) async throws {
        let executor = executor(parallelism: parallelism, quiet: quiet)
        let report = await executor.apply(plan, desired: desired, observed: observed)
        guard report.succeeded else {
            var descriptions: [String] = []
            for failure in report.failures {
                descriptions.append(failure.description + (await dependencyLogTail(failure, project: plan.project)))
            }
            var message = descriptions.joined(separator: "\n")
            if !report.skipped.isEmpty {
                message += "\nnot attempted: " + report.skipped.map { "\($0.verb) \($0.object)" }.joined(separator: ", ")
            }
            throw CommandFailure(message: message)
        }
    }
}

extension EngineSession {
    /// For a `depends_on` condition that was not met, the dependency's last log lines, as
    /// `up --wait` shows them; nothing for other failures.
    func dependencyLogTail(_ failure: ReconcilerError, project: String) async -> String {
        guard failure.code == .dependency, failure.object.hasPrefix("depends_on.") else { return "" }
        let dependency = String(failure.object.dropFirst("depends_on.".count))
        guard let observed = try? await engine.observe(project: project) else { return "" }
        return observed.containers.filter { !$0.isOneoff && $0.service == dependency }
            .sorted { ($0.number ?? 0) < ($1.number ?? 0) }
            .map { DependencyConditions.logTail(of: $0, engine: engine) }.joined()
    }
}

/// docker compose's progress lines: `✔ Container demo-web-1  Started`.
enum ProgressLine {
    /// The line printed when `step` ends, or nil while it runs (one line per step keeps the
    /// output readable when it is not a terminal).
    static func line(for step: PlanStep, event: PlanExecutor.StepEvent) -> String? {
        let (kind, name, done) = describe(step)
        switch event {
        case .started: return nil
        case .done: return "✔ \(kind) \(name)  \(done)"
        case .failed: return "✘ \(kind) \(name)  Error"
        }
    }

    static func describe(_ step: PlanStep) -> (kind: String, name: String, done: String) {
        switch step.action {
        case .createNetwork(let spec): ("Network", spec.name, "Created")
        case .createVolume(let spec): ("Volume", spec.name, "Created")
        case .createContainer(let ref, let start): ("Container", ref.name, start ? "Started" : "Created")
        case .recreateContainer(let ref, _, _, _): ("Container", ref.name, "Recreated")
        case .startContainer(let ref): ("Container", ref.name, "Started")
        case .removeContainer(let ref, _, _): ("Container", ref.name, "Removed")
        case .removeNetwork(let name): ("Network", name, "Removed")
        case .removeVolume(let name): ("Volume", name, "Removed")
        case .removeImage(let reference): ("Image", reference, "Removed")
        }
    }
}
