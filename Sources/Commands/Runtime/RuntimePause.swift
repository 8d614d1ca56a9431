import ArgumentParser
import Runtime

/// `berth runtime pause`: freeze every process of a container (cgroup freezer).
struct RuntimePause: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pause", abstract: "Freeze every process of a running container.")

    @OptionGroup var global: RuntimeGlobalOptions
    @Argument(help: "The container ID.") var id: String

    func run() throws {
        do { try global.runtime().setPaused(id, true) } catch { throw fail(error) }
    }
}
