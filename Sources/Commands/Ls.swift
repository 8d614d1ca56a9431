import ArgumentParser
import Foundation
import StateStore

/// `berth ls`, as `docker compose ls`: the projects this user's engine knows, with how many
/// containers are in each state and the files they were made from (the
/// `com.docker.compose.project.config_files` label). Projects with nothing running show only
/// with `-a`.
struct Ls: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List running compose projects.")

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, json
    }

    @Flag(name: .shortAndLong, help: "Show all stopped Compose projects.")
    var all = false

    @Option(name: .long, help: ArgumentHelp("Filter output based on conditions provided (name=TEXT).", valueName: "filter"))
    var filter: [String] = []

    @Option(name: .long, help: "Format the output: table or json.")
    var format = Format.table

    @Flag(name: .shortAndLong, help: "Only display project names.")
    var quiet = false

    func validate() throws {
        for entry in filter where !entry.hasPrefix("name=") {
            throw ValidationError("--filter \(entry): the only filter is name=TEXT")
        }
    }

    /// One line of `ls`, with docker compose's JSON keys.
    struct Row: Sendable, Hashable, Codable {
        var Name: String
        var Status: String
        var ConfigFiles: String
    }

    /// `running(2), exited(1)`: running states first, in docker's order.
    static func status(_ states: [ContainerRecord.State: Int]) -> String {
        let order: [ContainerRecord.State] = [.running, .paused, .restarting, .created, .exited, .dead]
        return order.compactMap { state in states[state].flatMap { $0 > 0 ? "\(state.rawValue)(\($0))" : nil } }
            .joined(separator: ", ")
    }

    static func rows(_ projects: [ProjectSummary], all: Bool, names: [String]) -> [Row] {
        projects.filter { project in
            (all || (project.states[.running] ?? 0) + (project.states[.paused] ?? 0) + (project.states[.restarting] ?? 0) > 0)
                && (names.isEmpty || names.contains { project.name.contains($0) })
        }.map { Row(Name: $0.name, Status: status($0.states), ConfigFiles: $0.configFiles ?? "") }
    }

    func run() async throws {
        let session = try EngineSession()
        let projects: [ProjectSummary]
        do { projects = try await session.engine.projects() } catch { throw CommandFailure(message: error.description) }
        let rows = Self.rows(projects, all: all, names: filter.map { String($0.dropFirst("name=".count)) })
        if quiet {
            for row in rows { Console.out(row.Name) }
            return
        }
        switch format {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            Console.out(String(decoding: try encoder.encode(rows), as: UTF8.self))
        case .table:
            let header = ["NAME", "STATUS", "CONFIG FILES"]
            let cells = [header] + rows.map { [$0.Name, $0.Status, $0.ConfigFiles] }
            let widths = header.indices.map { column in cells.map { $0[column].count }.max() ?? 0 }
            Console.out(cells.map { line in
                line.indices.map { column in
                    column == line.count - 1 ? line[column] : line[column].padding(toLength: widths[column], withPad: " ", startingAt: 0)
                }.joined(separator: "   ")
            }.joined(separator: "\n"))
        }
    }
}
