import ArgumentParser
import Runtime

/// `berth runtime delete`: remove a stopped container.
struct RuntimeDelete: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a stopped container.")

    @OptionGroup var global: RuntimeGlobalOptions
    @Flag(name: [.short, .long], help: "Kill the container first if it still runs.") var force = false
    @Argument(help: "The container ID.") var id: String

    func run() throws {
        do { try global.runtime().delete(id, force: force) } catch { throw fail(error) }
    }
}
