import Foundation
import Logging

/// Keeps one project's containers as their policies say: watches each running container's
/// process (a pidfd, through `ProcessWatcher`), restarts those that end when their restart policy
/// asks for it (with docker's back-off, never against the user's `stop`), runs their health
/// checks, and reports every change to `onChange` (for systemd's `STATUS=`/`READY=1`).
public actor ServiceSupervisor {
    private let actions: any SupervisorActions
    private let components: [any SupervisedComponent]
    private let watcher: ProcessWatcher
    private let logger: Logger
    private let onChange: @Sendable ([SupervisedContainer]) -> Void

    private var tracked: [String: SupervisedContainer] = [:]
    private var healthTasks: [String: Task<Void, Never>] = [:]
    private var restartTasks: [String: Task<Void, Never>] = [:]
    private var exitTask: Task<Void, Never>?
    /// Set by `shutdown`: an exit read while it awaits its components schedules no restart.
    private var shuttingDown = false

    public init(actions: any SupervisorActions, components: [any SupervisedComponent] = [],
                logger: Logger = Logger(label: "berth.supervisor"),
                onChange: @escaping @Sendable ([SupervisedContainer]) -> Void = { _ in }) throws(SupervisorError) {
        self.actions = actions
        self.components = components
        self.logger = logger
        self.onChange = onChange
        watcher = try ProcessWatcher()
    }

    /// Starts handling exits and adopts the project's containers as they are.
    public func start() async throws {
        let exits = watcher.exits
        exitTask = Task { [weak self] in
            for await id in exits { await self?.handleExit(id) }
        }
        // A component that cannot be brought in line (a published port someone else holds) is
        // logged and tried again on the next reload; the containers are supervised regardless.
        do { try await reload() } catch let error as SupervisorError where error.code == .component {}
    }

    /// The containers as the supervisor sees them now.
    public var containers: [SupervisedContainer] { tracked.values.sorted { $0.name < $1.name } }

    /// Re-reads the project's containers: watches new ones, forgets removed ones, applies restart
    /// policies to stopped ones it had not seen (a container that ended while no supervisor ran),
    /// then reloads the hosted components.
    public func reload() async throws {
        let current = try await actions.containers()
        let ids = Set(current.map(\.id))
        for id in tracked.keys where !ids.contains(id) { forget(id) }
        for container in current {
            let previous = tracked[container.id]
            // A restart in flight owns the container until it is done.
            if restartTasks[container.id] != nil { continue }
            tracked[container.id] = container
            switch container.state {
            case .running, .paused:
                if !watcher.keys.contains(container.id) { watch(container) }
                if container.healthCheck != nil && healthTasks[container.id] == nil { startHealthChecks(container) }
            case .exited:
                // An exit this supervisor has not handled yet: a container it never saw, one it saw
                // running or created (started by the user and ended between two reloads), or one
                // that ran again since it last saw it exited.
                let unseenExit = previous == nil || previous?.state != .exited || previous?.startedAt != container.startedAt
                if unseenExit { considerRestart(container) }
            case .created, .restarting:
                break
            }
        }
        changed()
        // Every component gets its reload; what failed is reported together, so `up` can say it.
        var failures: [String] = []
        for component in components {
            do { try await component.reload() } catch {
                logger.error("reloading \(component.name) failed: \(error)")
                failures.append("\(component.name): \(error)")
            }
        }
        if !failures.isEmpty {
            throw SupervisorError(.component, object: "project supervisor", failures.joined(separator: "; "))
        }
    }

    /// Stops watching, probing and restarting; containers keep running. Hosted components are
    /// shut down.
    public func shutdown() async {
        shuttingDown = true
        for id in tracked.keys { forget(id) }
        watcher.close()
        exitTask?.cancel()
        for component in components { await component.shutdown() }
    }

    // MARK: exits and restarts

    private func watch(_ container: SupervisedContainer) {
        guard let pid = container.monitorPID ?? container.pid else { return }
        do { try watcher.watch(pid, key: container.id) } catch {
            // The process is gone already (reaped between the state read and pidfd_open): an exit.
            logger.debug("\(container.name): \(error); treating it as ended")
            Task { await self.handleExit(container.id) }
        }
    }

    private func forget(_ id: String) {
        watcher.forget(id)
        healthTasks.removeValue(forKey: id)?.cancel()
        restartTasks.removeValue(forKey: id)?.cancel()
        tracked[id] = nil
    }

    private func handleExit(_ id: String) async {
        healthTasks.removeValue(forKey: id)?.cancel()
        guard let container = await actions.exited(id) else {
            forget(id)
            changed()
            return
        }
        // A restart or reload may have run while the exit was being read.
        if restartTasks[id] != nil { return }
        if container.state == .running, let pid = container.pid, pid != tracked[id]?.pid {
            tracked[id] = container
            watch(container)
            return
        }
        tracked[id] = container
        logger.info("\(container.name) exited with code \(container.exitCode.map(String.init) ?? "unknown")")
        considerRestart(container)
        changed()
    }

    private func considerRestart(_ container: SupervisedContainer) {
        // An exit handled while shutdown awaited its components (actor reentrancy) must not
        // schedule a restart that outlives this supervisor and races its replacement.
        guard !shuttingDown else { return }
        let now = Date()
        let ranFor = (container.finishedAt ?? now).timeIntervalSince(container.startedAt ?? container.finishedAt ?? now)
        let count = container.policy.effectiveCount(container.restartCount, ranFor: ranFor)
        guard container.policy.shouldRestart(exitCode: container.exitCode ?? 0, restartCount: count,
                                             stoppedByUser: container.stoppedByUser) else { return }
        // The back-off lives in the store with the container, not here: a supervisor that
        // replaces a killed one continues it (a crash loop stays at its minute, not 100 ms).
        var backoff = container.restartDelay.map(RestartBackoff.init(delay:)) ?? RestartBackoff()
        let wait = backoff.next(ranFor: ranFor)
        let delay = container.policy.delay ?? wait
        tracked[container.id]?.state = .restarting
        let id = container.id
        logger.info("\(container.name): restarting in \(Int(delay * 1000)) ms (restart \(count + 1))")
        restartTasks[id] = Task { [next = backoff.delay] in
            try? await Task.sleep(for: .milliseconds(Int(delay * 1000)))
            if Task.isCancelled { return }
            await self.performRestart(id, restartCount: count + 1, restartDelay: next)
        }
    }

    private func performRestart(_ id: String, restartCount: Int, restartDelay: Double) async {
        restartTasks[id] = nil
        do {
            guard let container = try await actions.restart(id, restartCount: restartCount, restartDelay: restartDelay) else {
                logger.info("\(tracked[id]?.name ?? id): not restarted: it was stopped, started or removed meanwhile")
                if let current = try? await actions.containers().first(where: { $0.id == id }) {
                    tracked[id] = current
                    if current.state == .running { watch(current) }
                } else {
                    tracked[id] = nil
                }
                changed()
                return
            }
            tracked[id] = container
            watch(container)
            if container.healthCheck != nil { startHealthChecks(container) }
        } catch {
            logger.error("\(tracked[id]?.name ?? id): restart failed: \(error)")
            tracked[id]?.state = .exited
        }
        changed()
    }

    // MARK: health

    private func startHealthChecks(_ container: SupervisedContainer) {
        guard let check = container.healthCheck else { return }
        let id = container.id
        let started = container.startedAt ?? Date()
        let initial = container.health ?? HealthState()
        healthTasks[id]?.cancel()
        healthTasks[id] = Task {
            var state = initial
            while !Task.isCancelled {
                let wait = check.delay(sinceStart: Date().timeIntervalSince(started))
                try? await Task.sleep(for: .milliseconds(Int(wait * 1000)))
                if Task.isCancelled { return }
                let result = await self.actions.probe(id, check: check)
                if Task.isCancelled { return }
                state.record(result, sinceStart: result.end.timeIntervalSince(started), check: check)
                await self.healthChanged(id, state)
            }
        }
    }

    private func healthChanged(_ id: String, _ state: HealthState) async {
        let before = tracked[id]?.health?.status
        tracked[id]?.health = state
        await actions.record(health: state, of: id)
        if before != state.status {
            logger.info("\(tracked[id]?.name ?? id): \(state.status.rawValue)")
            changed()
        }
    }

    private func changed() {
        onChange(containers)
    }
}
