import ArgumentParser
import Foundation

/// `berth start [SERVICE…]`, as `docker compose start`: starts the existing containers that do
/// not run, dependencies first (named services bring along what they depend on), each service
/// once its `depends_on` conditions hold. Creates nothing: a service without a container is an
/// error that points at `up`.
struct Start: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "start", abstract: "Start services.")

    @OptionGroup var project: ProjectOptions

    @Argument(help: "Services to start (default: all).")
    var services: [String] = []

    func run() async throws {
        let loaded = try project.load()
        let session = try EngineSession()
        let lock = try session.lock(project: loaded.name)
        defer { lock.release() }
        let names = services.isEmpty ? [] : DependencyConditions.withDependencies(services, in: loaded)
        let selection = try await ProjectContainers(session: session, project: loaded, services: names)
        // An optional dependency without a container is the gate's warning, not an error.
        // The named services are reported first: theirs is the error the user asked about.
        let required = services.isEmpty ? loaded.serviceNames : services + names.filter { name in
            !services.contains(name) && loaded.services.values.contains { $0.dependsOn?[name]?.required == true }
        }
        for name in required where !selection.containers.contains(where: { $0.service == name }) {
            throw CommandFailure("service \"\(name)\" has no container to start (run `berth up -d \(name)` to create it)")
        }
        let waves = selection.waves { $0.state == .created || $0.state == .exited || $0.state == .dead }
        // A port another process holds fails here, before any container starts without it.
        try Up.checkHostPorts(of: Set(waves.joined().compactMap(\.service)), in: loaded, session: session)
        let conditions = DependencyConditions(project: loaded, engine: session.engine)
        let all = selection.all
        try await session.act(on: waves, done: "Started", gate: { service, failed in
            try await conditions.wait(for: service, containers: all, failed: failed)
        }) { engine, container in
            try await engine.startContainer(id: container.id)
        }
        // The supervisor watches what was started (restart policies, health checks, DNS and
        // published ports); it takes the project lock itself when it restarts something.
        lock.release()
        if let problem = session.reloadSupervisor(project: loaded.name, waitForNew: Up.publishesPorts(loaded)) {
            throw CommandFailure(message: problem)
        }
    }
}
