import ArgumentParser
import Foundation
import Reconciler

/// `berth wait SERVICE…`, as `docker compose wait`: blocks until every container of the services
/// has stopped, printing `container "<id>" exited with status code N` for each, and exits with
/// the last code. `--down-project` takes the project down afterwards.
struct Wait: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "wait", abstract: "Block until containers of all (or specified) services stop.")

    @OptionGroup var project: ProjectOptions

    @Flag(name: .long, help: "Drops project when the first container stops.")
    var downProject = false

    @Argument(help: "Services to wait for.")
    var services: [String]

    func validate() throws {
        if services.isEmpty { throw ValidationError("wait needs at least one service") }
    }

    func run() async throws {
        let loaded = try project.load()
        let session = try EngineSession()
        let selection = try await ProjectContainers(session: session, project: loaded, services: services)
        guard !selection.containers.isEmpty else {
            throw CommandFailure("no containers for project \"\(loaded.name)\"")
        }
        let engine = session.engine
        let codes = await boundedMap(selection.containers, limit: selection.containers.count) { container -> Result<Int32, CommandFailure> in
            do {
                let code = try await engine.waitForExit(id: container.id)
                Console.out("container \"\(container.id)\" exited with status code \(code)")
                return .success(code)
            } catch {
                return .failure(CommandFailure(message: "\(error)"))
            }
        }
        var last: Int32 = 0
        for result in codes {
            switch result {
            case .success(let code): last = code
            case .failure(let failure): throw failure
            }
        }
        if downProject {
            let lock = try session.lock(project: loaded.name)
            defer { lock.release() }
            var options = DownOptions()
            options.removeOrphans = true
            let desired = try EngineSession.desired(loaded)
            let observed = try await session.observe(project: loaded.name)
            try await session.apply(Planner.down(observed: observed, desired: desired, options: options),
                                    desired: desired, observed: observed, parallelism: 4)
        }
        if last != 0 { throw CommandFailure(message: "", exitCode: last, quiet: true) }
    }
}
