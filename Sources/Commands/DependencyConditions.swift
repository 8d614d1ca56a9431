import ComposeSpec
import Engine
import EngineAPI
import Foundation

/// `depends_on` conditions for the commands that start containers without a plan (`start`,
/// `restart`, `run`), judged as `up`'s `PlanExecutor` judges them, through `LocalEngine.waitFor`:
/// `service_healthy` waits for the dependency's health check to pass, `service_completed_successfully`
/// for it to exit 0, `service_started` only for it to have been started. A dependency that becomes
/// unhealthy or exits non-zero fails the dependent, naming the dependency, with its last log
/// lines; with `required: false` that is a warning and the dependent starts anyway, as in
/// docker compose.
struct DependencyConditions {
    let project: Project
    let engine: LocalEngine
    /// How long each condition is waited for (seconds); nil waits until it is met or cannot be.
    var timeout: Double?

    /// Waits until every dependency of `service` meets its condition. `containers` are the
    /// project's containers (one-offs are never waited for); `failed` names the services that
    /// failed earlier in this command, whose dependents are not started.
    func wait(for service: String, containers: [ObservedContainer], failed: Set<String> = []) async throws {
        guard let dependsOn = project.services[service]?.dependsOn else { return }
        for (dependency, settings) in dependsOn.sorted(by: { $0.key < $1.key }) {
            // An undefined dependency is an optional one (the loader refuses a required one), and
            // the loader has already warned about it.
            guard project.services[dependency] != nil else { continue }
            let place = "service \(service): depends_on.\(dependency)"
            func give(up message: String) throws {
                guard settings.required else {
                    Console.warn("\(place) (optional): \(message); \(service) starts without it")
                    return
                }
                throw CommandFailure(message: "\(place): \(message)")
            }
            if failed.contains(dependency) {
                try give(up: "\(dependency) failed to start, so \(service) was not started")
                continue
            }
            let theirs = containers.filter { !$0.isOneoff && $0.service == dependency }
            guard !theirs.isEmpty else {
                try give(up: "\(dependency) has no container (run `berth up -d \(dependency)` to create it)")
                continue
            }
            let condition = ContainerCondition(rawValue: settings.condition.rawValue) ?? .started
            guard condition != .started else { continue }
            // Every replica, as compose waits for them: a migration scaled to two runs twice.
            for container in theirs {
                do {
                    try await engine.waitFor(condition, container: container.id, timeout: timeout)
                } catch {
                    var message = "\(condition.rawValue) not met, so \(service) was not started: \(error)"
                    message += Self.logTail(of: container, engine: engine)
                    try give(up: message)
                    break
                }
            }
        }
    }

    /// `\nlast log lines of NAME:\n  …`, or nothing when the container printed nothing.
    static func logTail(of container: ObservedContainer, engine: LocalEngine, count: Int = 5) -> String {
        let lines = ContainerLogTail.lines(of: container.id, locations: engine.locations, count: count)
        guard !lines.isEmpty else { return "" }
        return "\nlast log lines of \(container.name):\n" + lines.map { "  " + $0 }.joined(separator: "\n")
    }

    /// `services` and, transitively, what they depend on (optional dependencies the files do not
    /// define left out): what `start SERVICE` starts, dependencies first, as docker compose does.
    static func withDependencies(_ services: [String], in project: Project) -> [String] {
        var names = Set(services)
        var queue = services
        while let name = queue.popLast() {
            for dependency in (project.services[name]?.dependsOn ?? [:]).keys
            where project.services[dependency] != nil && names.insert(dependency).inserted {
                queue.append(dependency)
            }
        }
        return names.sorted()
    }
}
