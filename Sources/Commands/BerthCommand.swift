import ArgumentParser

/// The `berth` command tree. Each subcommand lives in its own file.
public struct BerthCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "berth",
        abstract: "A daemonless, rootless compose engine.",
        version: BerthVersion.current,
        subcommands: [Version.self,
                      ImageCommand.self, ImagesShortcut.self, Login.self, Logout.self, SystemCommand.self]
    )

    public init() {}
}

public enum BerthVersion {
    public static let current = "0.1.0"
}
