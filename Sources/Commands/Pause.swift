import ArgumentParser
import Foundation

/// `berth pause [SERVICE…]`, as `docker compose pause`: freezes every process of the running
/// containers (cgroup freezer), dependents first.
struct Pause: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pause", abstract: "Pause services.")

    @OptionGroup var project: ProjectOptions

    @Argument(help: "Services to pause (default: all).")
    var services: [String] = []

    func run() async throws {
        let loaded = try project.load()
        let session = try EngineSession()
        let lock = try session.lock(project: loaded.name)
        defer { lock.release() }
        let selection = try await ProjectContainers(session: session, project: loaded, services: services)
        try await session.act(on: selection.waves({ $0.state == .running }, reverse: true), done: "Paused") { engine, container in
            try await engine.pauseContainer(id: container.id)
        }
    }
}
