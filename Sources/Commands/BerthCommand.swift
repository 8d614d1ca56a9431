import Foundation
import ArgumentParser

/// The `berth` command tree. Each subcommand lives in its own file.
public struct BerthCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "berth",
        abstract: "A daemonless, rootless compose engine.",
        version: BerthVersion.current,
        subcommands: [Config.self, Pull.self, Push.self, Up.self, Down.self, Ps.self, Logs.self, Run.self, PortCommand.self, Version.self,
                      Create.self, Start.self, Stop.self, Restart.self, Kill.self, Rm.self, Pause.self, Unpause.self,
                      Exec.self, Top.self, Ls.self, Wait.self, Events.self, Cp.self, Inspect.self,
                      ImageCommand.self, ProjectImages.self, Login.self, Logout.self, SystemCommand.self,
                      RuntimeCommand.self, SystemdCommand.self, Supervise.self]
    )

    public init() {}

    /// Runs the command line, printing failures as one line and exiting with their code.
    public static func execute() async {
        do {
            let names = Set(configuration.subcommands.map { $0._commandName })
            let nested = Dictionary(configuration.subcommands.map { command in
                (command._commandName, Set(command.configuration.subcommands.map { $0._commandName }))
            }, uniquingKeysWith: { first, _ in first })
            let arguments = GlobalOptions.reorder(Array(CommandLine.arguments.dropFirst()), subcommands: names, nested: nested)
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let failure as CommandFailure {
            if !failure.quiet { Console.error(failure.message) }
            Foundation.exit(failure.exitCode)
        } catch {
            exit(withError: error)
        }
    }
}

public enum BerthVersion {
    public static let current = "0.1.0"
}
