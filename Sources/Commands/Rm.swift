import ArgumentParser
import EngineAPI
import Foundation

/// `berth rm [SERVICE…]`, as `docker compose rm`: removes stopped service containers (with `-s`,
/// stops running ones first), asking first unless `-f`. Anonymous volumes go with `-v`. Running
/// containers are left alone, as compose leaves them.
struct Rm: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Removes stopped service containers.")

    @OptionGroup var project: ProjectOptionsForRm

    @Flag(name: .shortAndLong, help: "Don't ask to confirm removal.")
    var force = false

    @Flag(name: .shortAndLong, help: "Stop the containers, if required, before removing.")
    var stop = false

    @Flag(name: .shortAndLong, help: "Remove any anonymous volumes attached to containers.")
    var volumes = false

    @Argument(help: "Services to remove (default: all).")
    var services: [String] = []

    func run() async throws {
        let loaded = try project.load()
        let session = try EngineSession()
        let lock = try session.lock(project: loaded.name)
        defer { lock.release() }
        let selection = try await ProjectContainers(session: session, project: loaded, services: services)
        if stop {
            try await session.act(on: selection.waves({ $0.isActive }, reverse: true), done: "Stopped") { engine, container in
                let policy = selection.stopPolicy(container, timeout: nil)
                try await engine.stopContainer(id: container.id, signal: policy.signal, gracePeriod: policy.gracePeriod)
            }
        }
        // After `-s`, the containers just stopped are stopped too: `stop` made them so.
        let removable = { (container: ObservedContainer) in stop || !container.isActive }
        let waves = selection.waves(removable, reverse: true)
        let names = waves.flatMap { $0.map(\.name) }
        if names.isEmpty {
            Console.say("No stopped containers")
            return
        }
        if !force {
            Console.out("Going to remove \(names.joined(separator: ", "))")
            guard Console.confirm("? Are you sure?") else { return }
        }
        let removeVolumes = volumes
        try await session.act(on: waves, done: "Removed") { engine, container in
            try await engine.removeContainer(id: container.id, force: false, removeAnonymousVolumes: removeVolumes)
        }
    }
}
