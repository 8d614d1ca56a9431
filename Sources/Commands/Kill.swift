import ArgumentParser
import Foundation

/// `berth kill [SERVICE…]`, as `docker compose kill`: sends a signal (SIGKILL unless `-s`) to the
/// running containers, without waiting for them to end.
struct Kill: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "kill", abstract: "Force stop service containers.")

    @OptionGroup var project: ProjectOptions

    @Option(name: .shortAndLong, help: "SIGNAL to send to the container.")
    var signal = "SIGKILL"

    @Argument(help: "Services to kill (default: all).")
    var services: [String] = []

    func run() async throws {
        let loaded = try project.load()
        let session = try EngineSession()
        let lock = try session.lock(project: loaded.name)
        defer { lock.release() }
        let selection = try await ProjectContainers(session: session, project: loaded, services: services)
        let waves = selection.waves({ $0.isActive }, reverse: true)
        if waves.isEmpty {
            Console.say("no container to kill")
            return
        }
        let signal = signal
        try await session.act(on: waves, done: "Killed") { engine, container in
            try await engine.killContainer(id: container.id, signal: signal)
        }
    }
}
