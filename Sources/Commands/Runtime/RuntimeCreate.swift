import ArgumentParser
import Runtime

/// `berth runtime create`: set a container up and leave it waiting for `start`.
struct RuntimeCreate: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a container from a bundle; `start` runs it.")

    @OptionGroup var global: RuntimeGlobalOptions
    @Option(name: [.short, .long], help: "The bundle directory.") var bundle: String = "."
    @Option(name: .long, help: "Write the container's PID to this file.") var pidFile: String?
    @Option(name: .long, help: "Unix socket to send the pty master to (when process.terminal is true).") var consoleSocket: String?
    @Argument(help: "The container ID.") var id: String

    func run() throws {
        do {
            let launched = try global.runtime().launch(id: id, bundlePath: bundle,
                                                       options: .init(waitForStart: true, detach: true, pidFile: pidFile, consoleSocket: consoleSocket))
            launched.warnings.forEach { printError("warning: \($0)") }
        } catch {
            throw fail(error)
        }
    }
}
