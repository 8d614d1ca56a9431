import ArgumentParser

/// `berth systemd …`: the project as systemd units, so it starts at boot and stays as the file
/// says. `berth systemd` alone is `generate`, which prints the units for a person to read first.
struct SystemdCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "systemd",
        abstract: "Generate, install and remove systemd units that run the project.",
        subcommands: [SystemdGenerate.self, SystemdRemove.self],
        defaultSubcommand: SystemdGenerate.self
    )
}
