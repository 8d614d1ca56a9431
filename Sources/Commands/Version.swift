import ArgumentParser

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Show the Berth version information.")

    @Option(name: .shortAndLong, help: "Format the output: pretty or json.")
    var format: String = "pretty"

    @Flag(name: .long, help: "Show only the version number.")
    var short = false

    func run() throws {
        if short { print(BerthVersion.current); return }
        if format == "json" { print("{\"version\":\"\(BerthVersion.current)\"}") }
        else { print("Berth version \(BerthVersion.current)") }
    }
}
