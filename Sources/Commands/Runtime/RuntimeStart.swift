import ArgumentParser
import Runtime

/// `berth runtime start`: run the entrypoint of a created container.
struct RuntimeStart: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "start", abstract: "Start a created container.")

    @OptionGroup var global: RuntimeGlobalOptions
    @Argument(help: "The container ID.") var id: String

    func run() throws {
        do { try global.runtime().start(id) } catch { throw fail(error) }
    }
}
