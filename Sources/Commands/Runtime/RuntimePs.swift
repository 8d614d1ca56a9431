import ArgumentParser
import FoundationEssentials
import Runtime
import SystemSupport

/// `berth runtime ps`: the processes of a container (host PIDs).
struct RuntimePs: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ps", abstract: "List the processes running in a container.")

    @OptionGroup var global: RuntimeGlobalOptions
    @Option(name: [.short, .long], help: "Output format: table or json.") var format: String = "table"
    @Argument(help: "The container ID.") var id: String

    func run() throws {
        do {
            let pids = try global.runtime().processes(id)
            if format == "json" {
                print(String(decoding: try JSONEncoder().encode(pids), as: UTF8.self))
                return
            }
            print("PID\tCMD")
            for pid in pids {
                let command = ((try? Files.readBytes("/proc/\(pid)/cmdline", stage: "ps")) ?? [])
                    .split(separator: 0).map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
                print("\(pid)\t\(command)")
            }
        } catch {
            throw fail(error)
        }
    }
}
