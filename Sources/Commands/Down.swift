import ArgumentParser
import ComposeSpec
import Foundation
import Reconciler

/// `berth down`, as `docker compose down`: stop and remove the project's containers (dependents
/// first) and networks; with `-v` its volumes, with `--rmi` its images. What is removed comes from
/// what the engine observes, not from the files, so a service deleted from the files since `up`
/// is still found when `--remove-orphans` is given.
struct Down: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "down", abstract: "Stop and remove containers, networks.")

    @OptionGroup var project: ProjectOptions

    @Flag(name: .shortAndLong, help: "Remove named volumes declared in the volumes section and anonymous volumes attached to containers.")
    var volumes = false

    @Flag(name: .long, help: "Remove containers for services not defined in the Compose file.")
    var removeOrphans = false

    @Option(name: .shortAndLong, help: "Seconds to wait for a container to stop before killing it.")
    var timeout: Int?

    @Option(name: .long, help: ArgumentHelp("Remove images used by services: \"local\" (those without a custom tag) or \"all\".", valueName: "type"))
    var rmi: String?

    @Argument(help: "Services to stop and remove (default: the whole project, with its networks).")
    var serviceNames: [String] = []

    func validate() throws {
        if let rmi, DownOptions.RemoveImages(rawValue: rmi) == nil || rmi == "none" {
            throw ValidationError("--rmi must be \"local\" or \"all\"")
        }
        if let timeout, timeout < 0 { throw ValidationError("--timeout must not be negative") }
    }

    func run() async throws {
        let loaded = try project.load()
        let session = try EngineSession()
        let lock = try session.lock(project: loaded.name)
        defer { lock.release() }

        var options = DownOptions()
        options.removeVolumes = volumes
        options.removeOrphans = removeOrphans
        options.removeImages = rmi.flatMap(DownOptions.RemoveImages.init(rawValue:)) ?? .none
        options.timeout = timeout.map(Double.init)
        options.services = Set(serviceNames)
        let desired = try EngineSession.desired(loaded)
        let observed = try await session.observe(project: loaded.name)
        let known = Set(loaded.services.keys).union(observed.containers.compactMap(\.service))
        if let unknown = serviceNames.first(where: { !known.contains($0) }) {
            throw CommandFailure(message: "no such service: \(unknown)")
        }
        let plan = Planner.down(observed: observed, desired: desired, options: options)
        for warning in plan.warnings { Console.warn("\(warning.object): \(warning.message)") }
        try await session.apply(plan, desired: desired, observed: observed, parallelism: 4)
        lock.release()
        session.releaseSupervisor(project: loaded.name, observed: try await session.observe(project: loaded.name))
    }
}
