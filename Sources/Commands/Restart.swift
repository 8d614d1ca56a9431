import ArgumentParser
import ComposeSpec
import Foundation

/// `berth restart [SERVICE…]`, as `docker compose restart`: stops and starts the containers,
/// dependencies first, whether they ran or not. Named services bring along the services that
/// depend on them with `restart: true`, unless `--no-deps`. Restarting does not apply changes
/// made to the files since `up` (that is `up`'s job). A service is restarted once its
/// `depends_on` conditions hold again (a restarted database healthy before its dependents).
struct Restart: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "restart", abstract: "Restart service containers.")

    @OptionGroup var project: ProjectOptions

    @Option(name: .shortAndLong, help: "Seconds to wait for a container to stop before killing it.")
    var timeout: Int?

    @Flag(name: .long, help: "Don't restart dependent services.")
    var noDeps = false

    @Argument(help: "Services to restart (default: all).")
    var services: [String] = []

    func validate() throws {
        if let timeout, timeout < 0 { throw ValidationError("--timeout must not be negative") }
    }

    func run() async throws {
        let loaded = try project.load()
        let session = try EngineSession()
        let lock = try session.lock(project: loaded.name)
        defer { lock.release() }
        var names = services
        if !services.isEmpty && !noDeps {
            names = Self.withRestartDependents(services, in: loaded)
        }
        let selection = try await ProjectContainers(session: session, project: loaded, services: names)
        let timeout = timeout
        // A port another process took meanwhile fails here, before anything is stopped.
        try Up.checkHostPorts(of: Set(selection.containers.compactMap(\.service)), in: loaded, session: session)
        let conditions = DependencyConditions(project: loaded, engine: session.engine)
        let all = selection.all
        try await session.act(on: selection.waves(), done: "Started", gate: { service, failed in
            try await conditions.wait(for: service, containers: all, failed: failed)
        }) { engine, container in
            let policy = selection.stopPolicy(container, timeout: timeout)
            try await engine.stopContainer(id: container.id, signal: policy.signal, gracePeriod: policy.gracePeriod)
            try await engine.startContainer(id: container.id)
        }
        // The supervisor watches what was started (restart policies, health checks, DNS and
        // published ports); it takes the project lock itself when it restarts something.
        lock.release()
        if let problem = session.reloadSupervisor(project: loaded.name, waitForNew: Up.publishesPorts(loaded)) {
            throw CommandFailure(message: problem)
        }
    }

    /// `services` and, transitively, the services that depend on one of them with `restart: true`.
    static func withRestartDependents(_ services: [String], in project: Project) -> [String] {
        var names = Set(services)
        var queue = services
        while let name = queue.popLast() {
            for (dependent, service) in project.services where !names.contains(dependent)
            && service.dependsOn?[name]?.restart == true {
                names.insert(dependent)
                queue.append(dependent)
            }
        }
        return names.sorted()
    }
}
