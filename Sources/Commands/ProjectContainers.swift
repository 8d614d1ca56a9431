import ComposeSpec
import Engine
import EngineAPI
import Foundation
import Reconciler

/// The containers a lifecycle command (`start`, `stop`, `restart`, `kill`, `rm`, `pause`,
/// `unpause`) acts on: the project's own (not `run`'s one-offs), of the named services or all,
/// with the project's dependency graph to order them. Built under the project lock by commands
/// that change state.
struct ProjectContainers {
    let project: Project
    let graph: DependencyGraph
    /// The selected containers, by service then replica number.
    let containers: [ObservedContainer]
    /// Every container of the project but one-offs, selected or not: what `depends_on`
    /// conditions are judged on.
    let all: [ObservedContainer]

    /// Observes `project` and keeps the containers of `services` (all when empty); a name that is
    /// not a service of the project is an error, as in docker compose.
    init(session: EngineSession, project: Project, services: [String]) async throws {
        for name in services where project.services[name] == nil {
            throw CommandFailure("no such service: \(name)")
        }
        self.project = project
        do { graph = try DependencyGraph(project: project) } catch {
            throw CommandFailure(message: error.description)
        }
        let observed = try await session.observe(project: project.name)
        let wanted = Set(services)
        all = observed.containers.filter { !$0.isOneoff }
        containers = all
            .filter { wanted.isEmpty || wanted.contains($0.service ?? "") }
            .sorted { ($0.service ?? "", $0.number ?? 0, $0.name) < ($1.service ?? "", $1.number ?? 0, $1.name) }
    }

    /// The containers of `which` grouped in waves: every service of a wave has all it depends
    /// on in earlier waves (the depth in `DependencyGraph`'s start order), so a wave's containers
    /// may act at once. `reverse` gives the stop order: dependents first.
    func waves(_ which: (ObservedContainer) -> Bool = { _ in true }, reverse: Bool = false) -> [[ObservedContainer]] {
        var depth: [String: Int] = [:]
        for name in graph.startOrder {
            depth[name] = (graph.dependencies[name] ?? []).map { (depth[$0.name] ?? 0) + 1 }.max() ?? 0
        }
        // Containers of services no longer in the files (orphans) go last on start, first on stop.
        let orphanDepth = (depth.values.max() ?? 0) + 1
        let grouped = Dictionary(grouping: containers.filter(which)) { depth[$0.service ?? ""] ?? orphanDepth }
        let ordered = grouped.keys.sorted().map { grouped[$0] ?? [] }
        return reverse ? ordered.reversed() : ordered
    }

    /// How to stop `container`: its service's `stop_signal` and `stop_grace_period`, `-t` first.
    func stopPolicy(_ container: ObservedContainer, timeout: Int?) -> PlanStep.StopPolicy {
        let seconds = timeout.map(Double.init)
        return project.services[container.service ?? ""].map { .of($0, timeout: seconds) } ?? .defaults(seconds)
    }
}

extension EngineSession {
    /// Runs `action` on every container, wave after wave, the containers of a wave at once
    /// (at most `parallelism`), printing docker compose's line as each finishes
    /// (`✔ Container demo-web-1  Stopped`). `gate`, when given, runs once per service of a wave
    /// before its containers (the `depends_on` conditions of `start` and `restart`), with the
    /// services that have failed so far; a service it fails is not acted on. A failure does not
    /// stop the others; every failure is reported at the end, each naming its container or
    /// service, and the command exits 1.
    func act(on waves: [[ObservedContainer]], done: String, parallelism: Int = 4,
             gate: (@Sendable (_ service: String, _ failed: Set<String>) async throws -> Void)? = nil,
             _ action: @escaping @Sendable (LocalEngine, ObservedContainer) async throws -> Void) async throws {
        let engine = engine
        var failures: [String] = []
        var failed: Set<String> = []
        for wave in waves {
            var blocked: Set<String> = []
            if let gate {
                let services = Set(wave.map { $0.service ?? $0.name }).sorted()
                let failedSoFar = failed
                let verdicts = await boundedMap(services, limit: services.count) { service -> String? in
                    do { try await gate(service, failedSoFar) } catch { return "\(error)" }
                    return nil
                }
                for (service, verdict) in zip(services, verdicts) {
                    guard let verdict else { continue }
                    failures.append(verdict)
                    blocked.insert(service)
                }
            }
            let ready = wave.filter { !blocked.contains($0.service ?? $0.name) }
            let results = await boundedMap(ready, limit: parallelism) { container -> String? in
                do {
                    try await action(engine, container)
                    Console.out("✔ Container \(container.name)  \(done)")
                    return nil
                } catch {
                    Console.out("✘ Container \(container.name)  Error")
                    return "\(error)"
                }
            }
            for (container, result) in zip(ready, results) where result != nil {
                failed.insert(container.service ?? container.name)
            }
            failed.formUnion(blocked)
            failures += results.compactMap { $0 }
        }
        if !failures.isEmpty { throw CommandFailure(message: failures.joined(separator: "\n")) }
    }
}
