import ArgumentParser
import Foundation

/// `berth unpause [SERVICE…]`, as `docker compose unpause`: thaws the paused containers,
/// dependencies first.
struct Unpause: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "unpause", abstract: "Unpause services.")

    @OptionGroup var project: ProjectOptions

    @Argument(help: "Services to unpause (default: all).")
    var services: [String] = []

    func run() async throws {
        let loaded = try project.load()
        let session = try EngineSession()
        let lock = try session.lock(project: loaded.name)
        defer { lock.release() }
        let selection = try await ProjectContainers(session: session, project: loaded, services: services)
        try await session.act(on: selection.waves { $0.state == .paused }, done: "Unpaused") { engine, container in
            try await engine.unpauseContainer(id: container.id)
        }
    }
}
