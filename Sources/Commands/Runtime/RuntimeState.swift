import ArgumentParser
import FoundationEssentials
import Runtime

/// `berth runtime state`: print the OCI state JSON of a container.
struct RuntimeState: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "state", abstract: "Print a container's OCI state as JSON.")

    @OptionGroup var global: RuntimeGlobalOptions
    @Argument(help: "The container ID.") var id: String

    func run() throws {
        do {
            let state = try global.runtime().state(id)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(state), as: UTF8.self))
        } catch {
            throw fail(error)
        }
    }
}
