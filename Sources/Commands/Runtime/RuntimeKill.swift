import ArgumentParser
import Runtime

/// `berth runtime kill`: send a signal to a container's process.
struct RuntimeKill: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "kill", abstract: "Send a signal (default TERM) to a container.")

    @OptionGroup var global: RuntimeGlobalOptions
    @Argument(help: "The container ID.") var id: String
    @Argument(help: "The signal, as a name (TERM, SIGKILL) or a number.") var signal: String = "TERM"

    func run() throws {
        do { try global.runtime().kill(id, signal: signal) } catch { throw fail(error) }
    }
}
