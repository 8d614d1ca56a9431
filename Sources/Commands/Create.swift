import ArgumentParser
import ComposeSpec
import EngineAPI
import Foundation
import Reconciler

/// `berth create [SERVICE…]`, as `docker compose create`: `up --no-start`: pulls what is missing,
/// creates networks, volumes and containers, starts nothing.
struct Create: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Creates containers for a service.")

    @OptionGroup var project: ProjectOptions

    @Flag(name: .long, help: "Recreate containers even if their configuration and image haven't changed.")
    var forceRecreate = false

    @Flag(name: .long, help: "If containers already exist, don't recreate them.")
    var noRecreate = false

    @Option(name: .long, help: ArgumentHelp("Pull image before running (\"always\"|\"missing\"|\"never\").", valueName: "policy"))
    var pull: String?

    @Flag(name: .long, help: "Remove containers for services not defined in the Compose file.")
    var removeOrphans = false

    @Option(name: .long, help: ArgumentHelp("Scale SERVICE to NUM instances (repeatable).", valueName: "SERVICE=NUM"))
    var scale: [String] = []

    @Argument(help: "Services to create (default: all).")
    var services: [String] = []

    func validate() throws {
        _ = try Up.scales(scale)
        if forceRecreate && noRecreate { throw ValidationError("--force-recreate and --no-recreate are incompatible") }
        if let pull, ImagePullPolicy(rawValue: pull) == nil {
            throw ValidationError("--pull \(pull): expected always, missing or never")
        }
    }

    func run() async throws {
        let loaded = try project.load(services: services)
        var options = UpOptions()
        options.forceRecreate = forceRecreate
        options.noRecreate = noRecreate
        options.services = services
        options.scale = (try? Up.scales(scale)) ?? [:]  // validated in validate()
        options.noStart = true
        options.removeOrphans = removeOrphans
        try await Up.converge(loaded, session: try EngineSession(), options: options, parallel: 4, pull: pull.flatMap(ImagePullPolicy.init(rawValue:)))
    }
}
