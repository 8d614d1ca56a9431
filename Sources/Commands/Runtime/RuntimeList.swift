import ArgumentParser
import FoundationEssentials
import Runtime

/// `berth runtime list`: the containers under the state root.
struct RuntimeList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List containers.")

    @OptionGroup var global: RuntimeGlobalOptions
    @Option(name: [.short, .long], help: "Output format: table or json.") var format: String = "table"

    func run() throws {
        do {
            let states = try global.runtime().list()
            if format == "json" {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(states), as: UTF8.self))
                return
            }
            print("ID\tPID\tSTATUS\tBUNDLE")
            for state in states { print("\(state.id)\t\(state.pid ?? 0)\t\(state.status.rawValue)\t\(state.bundle)") }
        } catch {
            throw fail(error)
        }
    }
}
