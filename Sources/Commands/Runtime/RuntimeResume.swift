import ArgumentParser
import Runtime

/// `berth runtime resume`: thaw a paused container.
struct RuntimeResume: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "resume", abstract: "Resume a paused container.")

    @OptionGroup var global: RuntimeGlobalOptions
    @Argument(help: "The container ID.") var id: String

    func run() throws {
        do { try global.runtime().setPaused(id, false) } catch { throw fail(error) }
    }
}
