import ArgumentParser
import Foundation

/// `berth stop [SERVICE…]`, as `docker compose stop`: stops the running containers, dependents
/// first, each with its service's `stop_signal` and `stop_grace_period` (`-t` overrides the
/// latter). Stopped containers stay, for `start`.
struct Stop: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stop", abstract: "Stop services.")

    @OptionGroup var project: ProjectOptions

    @Option(name: .shortAndLong, help: "Seconds to wait for a container to stop before killing it.")
    var timeout: Int?

    @Argument(help: "Services to stop (default: all).")
    var services: [String] = []

    func validate() throws {
        if let timeout, timeout < 0 { throw ValidationError("--timeout must not be negative") }
    }

    func run() async throws {
        let loaded = try project.load()
        let session = try EngineSession()
        let lock = try session.lock(project: loaded.name)
        defer { lock.release() }
        let selection = try await ProjectContainers(session: session, project: loaded, services: services)
        let timeout = timeout
        try await session.act(on: selection.waves({ $0.isActive }, reverse: true), done: "Stopped") { engine, container in
            let policy = selection.stopPolicy(container, timeout: timeout)
            try await engine.stopContainer(id: container.id, signal: policy.signal, gracePeriod: policy.gracePeriod)
        }
    }
}
