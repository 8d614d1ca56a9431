import CLinuxShim
import EngineAPI
import Foundation
import Runtime
import StateStore
import Supervisor
import SystemSupport

/// What the project supervisor needs from the engine, and the waits of `depends_on` and
/// `up --wait`. Health probes run as `berth runtime exec` in a process group of their own, so a
/// probe that outlives its timeout can be killed with everything it started on the host side.
extension LocalEngine {
    /// The settings recorded at create time; a record from before the supervisor has none and is
    /// supervised as `restart: no` without a health check.
    func supervisionSettings(_ record: StoredContainer) -> SupervisionSettings {
        guard let text = record.supervision,
              let settings = try? JSONDecoder().decode(SupervisionSettings.self, from: Data(text.utf8)) else {
            return SupervisionSettings()
        }
        return settings
    }

    func supervised(_ record: StoredContainer) -> SupervisedContainer {
        let settings = supervisionSettings(record)
        let state: SupervisedContainer.State = switch record.state {
        case .created: .created
        case .running: .running
        case .paused: .paused
        case .restarting: .restarting
        case .exited, .dead: .exited
        }
        let health = record.health.flatMap(HealthState.Status.init(rawValue:)).map {
            HealthState(status: $0, failingStreak: record.healthFailingStreak,
                        log: record.healthLog.map { ProbeResult(start: $0.start, end: $0.end, exitCode: $0.exitCode, output: $0.output) })
        }
        var container = SupervisedContainer(
            id: record.id, name: record.name, service: record.service, state: state, pid: record.pid.map { Int32($0) },
            exitCode: record.exitCode.map { Int32(truncatingIfNeeded: $0) }, policy: settings.restart,
            healthCheck: settings.healthCheck, health: health, restartCount: record.restartCount,
            // A start by the user zeroes the count and so starts the back-off again (docker's
            // `start` resets its restart manager); restarts by policy count from 1.
            restartDelay: record.restartCount == 0 ? nil : record.restartDelay,
            stoppedByUser: record.stoppedByUser, startedAt: record.startedAt, finishedAt: record.finishedAt)
        if state == .running || state == .paused { container.monitorPID = monitorPID(record.id) }
        return container
    }

    /// The pid of the berth-init monitor of a live container, from the runtime's state file.
    func monitorPID(_ id: String) -> Int32? {
        guard Self.isEngineID(id),
              let bytes = try? Files.readBytes(locations.runtimeState + "/" + id + "/state.json", stage: "supervise"),
              let state = try? JSONDecoder().decode(Runtime.ContainerRecord.self, from: Data(bytes)) else { return nil }
        return state.monitorPid
    }

    /// The project's containers (not `run`'s one-offs), each refreshed against the runtime.
    public func supervisedContainers(project: String) throws(EngineError) -> [SupervisedContainer] {
        let records = try stateCall("project \(project)") { () throws(StateError) in try store.containers(project: project) }
        var result: [SupervisedContainer] = []
        for record in records where !record.oneoff { result.append(supervised(try refresh(record))) }
        return result
    }

    /// Whether `project` has something to supervise: a container that runs, or one that stopped
    /// by itself and that its policy would bring back.
    public func needsSupervisor(project: String) -> Bool {
        guard let containers = try? supervisedContainers(project: project) else { return false }
        return containers.contains { container in
            switch container.state {
            case .running, .paused, .restarting: true
            case .exited: container.policy.shouldRestart(exitCode: container.exitCode ?? 0, restartCount: container.restartCount,
                                                         stoppedByUser: container.stoppedByUser)
            case .created: false
            }
        }
    }

    /// The container after its process ended: waits (bounded) for its monitor to record the exit
    /// status. Nil when the container is gone.
    public func exitedContainer(_ id: String) async -> SupervisedContainer? {
        for _ in 0..<200 {
            guard let record = try? store.container(id: id) else { return nil }
            guard let current = try? refresh(record) else { return nil }
            if current.state != .exited || current.exitCode != nil { return supervised(current) }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return (try? store.container(id: id)).flatMap { $0 }.map { supervised($0) }
    }

    /// A restart by policy, under the project lock so it never interleaves with a command on the
    /// project. Starts nothing (returns nil) when the container is gone, was stopped by the user,
    /// or already runs again.
    public func restartBySupervisor(_ id: String, restartCount: Int, restartDelay: Double? = nil,
                                    project: String) async throws(EngineError) -> SupervisedContainer? {
        let lockDirectory = locations.runtime + "/locks"
        let lock = try await Blocking.run { () throws(EngineError) -> ProjectLock in
            do throws(StateError) { return try ProjectLock.acquire(project: project, directory: lockDirectory, timeout: .seconds(600)) } catch {
                throw EngineError(.failed, object: "project \(project)", error.message)
            }
        }
        defer { lock.release() }
        guard let record = try stateCall("container \(id)", { () throws(StateError) in try store.container(id: id) }) else { return nil }
        let current = try refresh(record)
        guard !current.stoppedByUser, current.state == .exited else { return nil }
        // The back-off is recorded before the start: a supervisor killed during the launch leaves
        // it for the next one.
        if let restartDelay {
            _ = try stateCall("container \(id)") { () throws(StateError) in
                try store.updateContainer(id: id) { $0.restartDelay = restartDelay }
            }
        }
        try await start(id, restartCount: restartCount)
        return supervised(try stored(id))
    }

    /// Makes a health change durable.
    public func recordHealth(_ health: HealthState, of id: String) {
        _ = try? store.updateContainer(id: id) { record in
            record.health = health.status.rawValue
            record.healthFailingStreak = health.failingStreak
            record.healthLog = health.log.map { HealthLogEntry(start: $0.start, end: $0.end, exitCode: $0.exitCode, output: $0.output) }
        }
    }

    /// Runs `check`'s probe in container `id`, bounded by its timeout.
    public func probe(_ id: String, check: HealthCheck) async -> ProbeResult {
        let start = Date()
        let berth = berthPath, root = locations.runtimeState
        let outcome = (try? await Blocking.run { () throws(EngineError) -> (Int, String) in
            Self.runProbe(berth: berth, stateRoot: root, id: id, arguments: check.test.arguments, timeout: check.timeout)
        }) ?? (-1, "the probe could not run")
        return ProbeResult(start: start, end: Date(), exitCode: outcome.0, output: outcome.1)
    }

    static func runProbe(berth: String, stateRoot: String, id: String, arguments: [String], timeout: Double) -> (Int, String) {
        var pipe: [Int32] = [-1, -1]
        guard pipe2(&pipe, O_CLOEXEC) == 0 else { return (-1, "pipe2: \(String(cString: strerror(errno)))") }
        let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { if null >= 0 { close(null) } }
        let environment = ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }
        let pid: pid_t
        do {
            pid = try Spawn.spawn(berth, arguments: [berth, "runtime", "--root", stateRoot, "exec", id, "--"] + arguments,
                                  options: .init(descriptors: [0: null, 1: pipe[1], 2: pipe[1]], newSession: true, environment: environment),
                                  stage: "health probe")
        } catch {
            close(pipe[0])
            close(pipe[1])
            return (-1, error.description)
        }
        close(pipe[1])
        var output: [UInt8] = []
        var timedOut = false
        let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let remaining = deadline - ContinuousClock.now
            if remaining <= .zero { timedOut = true; break }
            var descriptor = pollfd(fd: pipe[0], events: Int16(POLLIN), revents: 0)
            let milliseconds = remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000 + 1
            let ready = poll(&descriptor, 1, Int32(clamping: milliseconds))
            if ready < 0 { if errno == EINTR { continue } else { break } }
            if ready == 0 { timedOut = true; break }
            let count = read(pipe[0], &buffer, buffer.count)
            if count <= 0 { break }
            let room = HealthState.outputLimit - output.count
            if room > 0 { output += buffer[0..<min(count, room)] }
        }
        close(pipe[0])
        if timedOut {
            // The probe's session holds `berth runtime exec` and its monitor.
            kill(-pid, SIGKILL)
            kill(pid, SIGKILL)
        }
        let status = try? Processes.wait(pid, stage: "health probe")
        let text = String(decoding: output, as: UTF8.self)
        if timedOut { return (-1, "Health check exceeded timeout (\(timeout)s)") }
        return (Int(status?.shellCode ?? -1), text)
    }

    /// Waits until container `id` meets `condition`. Health is judged by probes this process runs
    /// itself (the supervisor may not know the container yet), recorded in the store as the
    /// supervisor records them, and by what the store says (a supervisor may have judged first).
    public func waitFor(_ condition: ContainerCondition, container id: String, timeout: Double?) async throws(EngineError) {
        var record = try stored(id)
        let object = "container \(record.name)"
        let check = supervisionSettings(record).healthCheck
        if condition == .healthy && check == nil {
            throw EngineError(.invalidState, object: object,
                              "has no health check, so it can never be healthy: add a healthcheck to its service or depend on it with service_started")
        }
        let deadline = timeout.map { ContinuousClock.now + .milliseconds(Int($0 * 1000)) }
        var health = supervised(record).health ?? HealthState()
        var nextProbe: Date?
        while true {
            record = try refresh(try stored(id))
            switch (condition, record.state) {
            case (.started, _):
                return
            case (_, .exited), (_, .dead):
                guard let code = record.exitCode else { break }  // the monitor is recording it
                if code == 0 && condition != .healthy { return }
                throw EngineError(.failed, object: object, "exited with code \(code)\(condition == .completedSuccessfully ? "" : " before it was ready")")
            case (.completedSuccessfully, _), (_, .created), (_, .paused), (_, .restarting):
                break
            case (.healthy, .running), (.ready, .running):
                guard let check else { return }
                if record.health == HealthState.Status.healthy.rawValue { return }
                if record.health == HealthState.Status.unhealthy.rawValue {
                    throw EngineError(.failed, object: object, "is unhealthy" + Self.lastOutput(record.healthLog))
                }
                let started = record.startedAt ?? Date()
                let due = nextProbe ?? started.addingTimeInterval(check.delay(sinceStart: 0))
                if Date() >= due {
                    let result = await probe(id, check: check)
                    health.record(result, sinceStart: result.end.timeIntervalSince(started), check: check)
                    recordHealth(health, of: id)
                    nextProbe = Date().addingTimeInterval(check.delay(sinceStart: Date().timeIntervalSince(started)))
                    continue
                }
            }
            if Task.isCancelled { throw EngineError(.failed, object: object, "the wait for \(condition.rawValue) was cancelled") }
            if let deadline, ContinuousClock.now >= deadline {
                let state = record.health.map { "health: \($0)" } ?? record.state.rawValue
                throw EngineError(.failed, object: object, "did not reach \(condition.rawValue) within \(timeout ?? 0) s (\(state))")
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    private static func lastOutput(_ log: [HealthLogEntry]) -> String {
        guard let last = log.last?.output.trimmingCharacters(in: .whitespacesAndNewlines), !last.isEmpty else { return "" }
        return " (last probe: \(last.split(separator: "\n").suffix(3).joined(separator: "; ")))"
    }
}

/// `SupervisorActions` over a `LocalEngine`, for a project's supervisor or for one service's.
///
/// The two kinds never act on the same containers. A per-service supervisor (a systemd unit's
/// main process) sees only its service, with every restart policy read as `no`: systemd's
/// `Restart=` brings the unit back, and a second restarter would race it. The project's
/// supervisor leaves alone every service whose per-service supervisor holds its lock, whichever
/// of the two started first.
public struct LocalSupervisorActions: SupervisorActions {
    public let engine: LocalEngine
    public let project: String
    /// The service a per-service supervisor owns; nil for the project's supervisor.
    public let service: String?

    public init(engine: LocalEngine, project: String, service: String? = nil) {
        self.engine = engine
        self.project = project
        self.service = service
    }

    public func containers() async throws -> [SupervisedContainer] {
        let all = try engine.supervisedContainers(project: project)
        if let service {
            return all.filter { $0.service == service }.map { container in
                var container = container
                container.policy = .no
                return container
            }
        }
        let owned = servicesWithTheirOwnSupervisor(Set(all.map(\.service)))
        return all.filter { !owned.contains($0.service) }
    }

    public func exited(_ id: String) async -> SupervisedContainer? {
        guard var container = await engine.exitedContainer(id) else { return nil }
        if service != nil { container.policy = .no }
        return container
    }

    public func restart(_ id: String, restartCount: Int, restartDelay: Double) async throws -> SupervisedContainer? {
        if service != nil { return nil }
        // A per-service unit may have started since the last reload: the container is its now.
        if let container = try engine.supervisedContainers(project: project).first(where: { $0.id == id }),
           !servicesWithTheirOwnSupervisor([container.service]).isEmpty {
            return nil
        }
        return try await engine.restartBySupervisor(id, restartCount: restartCount, restartDelay: restartDelay, project: project)
    }

    private func servicesWithTheirOwnSupervisor(_ services: Set<String>) -> Set<String> {
        services.filter { SupervisorControl(locations: engine.locations, project: project, service: $0).isRunning() }
    }
    public func probe(_ id: String, check: HealthCheck) async -> ProbeResult { await engine.probe(id, check: check) }
    public func record(health: HealthState, of id: String) async { engine.recordHealth(health, of: id) }
}
