import ArgumentParser
import ComposeSpec
import Engine
import EngineAPI
import Foundation
import Logging
import Supervisor
import SystemdUnits

/// `berth supervise --service NAME --ready started|healthy|completed`: the main process of a
/// per-service unit, with the contract SystemdUnits/README.md writes down. It brings up only its
/// service (as `up -d --no-deps NAME`; systemd started the dependencies first), runs its health
/// checks, and lives exactly as long as the service runs, so systemd's `Restart=` and
/// `Requires=` act on the service. It restarts nothing itself: its actions read every restart
/// policy as `no`, and the project's supervisor leaves a service with a supervisor of its own
/// alone.
extension Supervise {
    func superviseService(_ name: String, readiness: UnitReadiness) async throws {
        let logger = Logger(label: "berth.supervisor")
        let notifier = SystemdNotifier()
        let loaded = try project.load(services: [name])
        guard loaded.services[name] != nil else {
            throw CommandFailure("no such service: \(name) in project \(loaded.name) (services: \(loaded.serviceNames.joined(separator: ", ")))")
        }
        let session = try EngineSession()
        let control = SupervisorControl(locations: session.engine.locations, project: loaded.name, service: name)
        let claim: SupervisorControl.Claim
        do {
            // A second main process for one service would fight the first; a unit must fail, not
            // report success, when that happens.
            guard let claimed = try control.claim() else {
                let pid = control.runningPID().map { " (pid \($0))" } ?? ""
                throw CommandFailure("service \(name) of \(loaded.name) already has a supervisor\(pid); stop it first")
            }
            claim = claimed
        } catch let error as EngineError {
            throw CommandFailure(message: error.description)
        }

        notifier.status("bringing \(name) up")
        var up = try Up.parse(["--detach", "--no-deps", name])
        up.project = project
        try await up.apply(loaded, session: session)
        // The project's network-services unit (or a project supervisor a command started) serves
        // DNS and published ports: it must learn of the new containers. A port it cannot bind is
        // this unit's failure, as it is `up`'s.
        let projectControl = SupervisorControl(locations: session.engine.locations, project: loaded.name)
        if let problem = Self.reloadNetworkServices(projectControl) {
            do { try await stopService(loaded, session: session) } catch { logger.error("stopping \(name): \(error)") }
            _ = Self.reloadNetworkServices(projectControl)
            throw CommandFailure(message: problem)
        }

        let (events, event) = AsyncStream.makeStream(of: ServiceEvent.self)
        let supervisor: ServiceSupervisor
        do {
            supervisor = try ServiceSupervisor(
                actions: LocalSupervisorActions(engine: session.engine, project: loaded.name, service: name), logger: logger
            ) { containers in event.yield(.changed(containers)) }
        } catch {
            throw CommandFailure(message: error.description)
        }
        let sources = stopSignalSources { event.yield(.signal($0)) }
        defer { sources.forEach { $0.cancel() } }
        try await supervisor.start()
        // As the project's supervisor does: start-up code pages are unmapped once settled.
        ResidentMemory.trimFileMappings()
        logger.info("supervising service \(name) of \(loaded.name) (pid \(getpid()), ready when \(readiness.rawValue))")

        var readySent = false
        var lookedAgain = false
        var outcome: (code: Int32, reason: String)?
        for await next in events {
            switch next {
            case .signal(let name):
                outcome = (0, name)
            case .changed(let containers):
                switch ServiceVerdict.of(containers, readiness: readiness, wasReady: readySent) {
                case .waiting(let status):
                    notifier.status(status)
                    lookedAgain = false
                case .ready(let status):
                    if readySent { notifier.status(status) } else { notifier.ready(status: status) }
                    readySent = true
                    lookedAgain = false
                case .stopped(let reason) where !lookedAgain:
                    // `ExecReload=… up` recreates the container: the old one is stopped and
                    // removed under the project lock, the new one started before it is released.
                    // Once the lock is free, a second look tells a reload from a stop.
                    lookedAgain = true
                    do { try session.lock(project: loaded.name).release() } catch { logger.error("\(error)") }
                    do { try await supervisor.reload() } catch { outcome = (0, reason) }
                case .stopped(let reason):
                    outcome = (0, reason)
                case .ended(let code, let reason):
                    outcome = (code, reason)
                }
            }
            if outcome != nil { break }
        }
        let (code, reason) = outcome ?? (1, "the event stream ended")
        logger.info("stopping: \(reason)")
        notifier.stopping()
        await supervisor.shutdown()
        do { try await stopService(loaded, session: session) } catch { logger.error("stopping \(name): \(error)") }
        // Its names and ports are served no more.
        if let problem = Self.reloadNetworkServices(projectControl) { logger.error("\(problem)") }
        withExtendedLifetime(claim) {}
        if code != 0 { throw CommandFailure(message: "service \(name): \(reason)", exitCode: code) }
    }
}

extension Supervise {
    /// Asks the process that hosts the project's DNS servers and port forwarders to read the
    /// store again; what it could not do, or nil (also when none runs: a unit started by hand,
    /// outside its network-services unit, has no names or ports served).
    static func reloadNetworkServices(_ control: SupervisorControl) -> String? {
        guard control.isRunning(), let answer = control.send("reload") else { return nil }
        return answer.hasPrefix("error ") ? String(answer.dropFirst("error ".count)) : nil
    }

    /// Stops every container of the service with its `stop_signal` and `stop_grace_period`, and
    /// marks each stopped by the user, the exited ones too. systemd ran `ExecStop=… stop NAME`
    /// before its SIGTERM, so usually nothing runs by now; after SIGINT or the exit of one
    /// replica, the others must not run on unsupervised. The mark is what keeps the project's
    /// supervisor, once this one's lock is gone, from restarting the service by its policy:
    /// bringing the unit back is systemd's `Restart=`, whose `up -d` clears it.
    fileprivate func stopService(_ loaded: Project, session: EngineSession) async throws {
        guard let name = service else { return }
        let lock = try session.lock(project: loaded.name)
        defer { lock.release() }
        let selection = try await ProjectContainers(session: session, project: loaded, services: [name])
        for container in selection.containers {
            let policy = selection.stopPolicy(container, timeout: nil)
            do { try await session.engine.stopContainer(id: container.id, signal: policy.signal, gracePeriod: policy.gracePeriod) } catch {
                throw CommandFailure(message: error.description)
            }
        }
    }
}

/// What reaches a per-service supervisor's main loop.
private enum ServiceEvent: Sendable {
    case changed([SupervisedContainer])
    case signal(String)
}

/// Where a per-service unit stands, judged from its service's containers: the rules of the
/// `supervise --service` contract in one pure function.
enum ServiceVerdict: Sendable, Hashable {
    /// Not ready yet; the `STATUS=` line.
    case waiting(String)
    /// `READY=1` (once), then `STATUS=` lines.
    case ready(String)
    /// The main process exits with `code`: the container's own status, so systemd's `Restart=`
    /// reads it as compose's restart policy would.
    case ended(code: Int32, reason: String)
    /// The user stopped or removed the containers (`ExecStop=`, `stop`, `down`, or the
    /// recreate of `ExecReload=`): after a second look, the main process exits 0.
    case stopped(String)

    /// `wasReady`: `READY=1` went out already; a check failing after that is a `STATUS=` line,
    /// as compose restarts no container for being unhealthy.
    static func of(_ containers: [SupervisedContainer], readiness: UnitReadiness, wasReady: Bool) -> ServiceVerdict {
        guard !containers.isEmpty else { return .stopped("its containers were removed") }
        let summary = SystemdNotifier.summary(containers)
        let exited = containers.filter { $0.state == .exited }.sorted { $0.name < $1.name }
        if readiness == .completed {
            guard exited.count == containers.count else { return .waiting(summary) }
            if let failed = exited.first(where: { ($0.exitCode ?? 1) != 0 }) {
                return .ended(code: failed.exitCode ?? 1, reason: "\(failed.name) exited with code \(failed.exitCode.map(String.init) ?? "unknown")")
            }
            return .ended(code: 0, reason: "completed")
        }
        if let first = exited.first {
            if first.stoppedByUser { return .stopped("\(first.name) was stopped") }
            let code = first.exitCode ?? 1
            return .ended(code: code, reason: "\(first.name) exited with code \(first.exitCode.map(String.init) ?? "unknown")")
        }
        guard containers.allSatisfy({ $0.state == .running }) else { return .waiting(summary) }
        guard readiness == .healthy, !wasReady else { return .ready(summary) }
        if let unchecked = containers.first(where: { $0.healthCheck == nil }) {
            return .ended(code: 1, reason: "\(unchecked.name) has no health check, so it can never be healthy: add a healthcheck to the service, or depend on it with service_started")
        }
        if let sick = containers.first(where: { $0.health?.status == .unhealthy }) {
            // Dependents wait for healthy: failing now lets systemd say so instead of timing out.
            return .ended(code: 1, reason: "\(sick.name) is unhealthy")
        }
        let healthy = containers.allSatisfy { $0.health?.status == .healthy }
        return healthy ? .ready(summary) : .waiting(summary)
    }
}
