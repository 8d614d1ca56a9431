import ArgumentParser
import ComposeSpec
import EngineAPI
import Foundation

/// `berth ps [SERVICE…]`, as `docker compose ps`: the project's containers, running ones unless
/// `--all` or `--status` asks for more, in docker compose's columns or as JSON lines.
struct Ps: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ps", abstract: "List containers.")

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, json
    }

    @OptionGroup var project: ProjectOptions

    @Flag(name: .shortAndLong, help: "Show all stopped containers.")
    var all = false

    @Flag(name: .shortAndLong, help: "Only display IDs.")
    var quiet = false

    @Flag(name: .long, help: "Display services.")
    var services = false

    @Option(name: .long, help: ArgumentHelp("Filter by status (repeatable): created, running, paused, restarting, exited, dead.", valueName: "state"))
    var status: [String] = []

    @Option(name: .long, help: ArgumentHelp("Filter services by a property (status=STATE).", valueName: "filter"))
    var filter: [String] = []

    @Option(name: .long, help: "Format the output: table or json.")
    var format = Format.table

    @Argument(help: "Services to list (default: all).")
    var serviceNames: [String] = []

    /// `--status` values and `--filter status=` ones: compose treats them alike.
    var statuses: [String] {
        status + filter.compactMap { $0.hasPrefix("status=") ? String($0.dropFirst("status=".count)) : nil }
    }

    func validate() throws {
        for entry in filter where !entry.hasPrefix("status=") {
            throw ValidationError("--filter \(entry): the only filter is status=STATE")
        }
        for state in statuses where ObservedContainer.State(rawValue: state) == nil {
            let known = ObservedContainer.State.allCases.map(\.rawValue).joined(separator: ", ")
            throw ValidationError("--status \(state): expected one of \(known)")
        }
    }

    func run() async throws {
        // The name is all ps needs of the files: its rows come from the state store. A full load
        // would be most of its time (see Benchmarks/stack-results.md).
        let name = try project.loadName()
        let session = try EngineSession()
        let observed = try await session.observe(project: name)
        let known = Set(observed.containers.compactMap(\.service))
        if serviceNames.contains(where: { !known.contains($0) }) {
            // A service without containers is still a service: only the files can say.
            let loaded = try project.load()
            for name in serviceNames where loaded.services[name] == nil {
                throw CommandFailure("no such service: \(name)")
            }
        }
        // A supervisor killed since the last command is replaced now, so what ps shows stays true.
        session.superviseIfNeeded(project: name)
        let states = Set(statuses.compactMap(ObservedContainer.State.init(rawValue:)))
        let containers = observed.containers.filter { container in
            if !serviceNames.isEmpty && !serviceNames.contains(container.service ?? "") { return false }
            if !states.isEmpty { return states.contains(container.state) }
            return all || container.isActive
        }.sorted { ($0.service ?? "", $0.number ?? 0, $0.name) < ($1.service ?? "", $1.number ?? 0, $1.name) }

        if services {
            for name in Set(containers.compactMap(\.service)).sorted() { Console.out(name) }
        } else if quiet {
            for container in containers { Console.out(container.id) }
        } else {
            let now = Date().timeIntervalSince1970
            let rows = containers.map { PsRow($0, now: now) }
            switch format {
            case .table: Console.out(PsRow.table(rows))
            case .json:
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                for row in rows {
                    let data = try encoder.encode(row)
                    Console.out(String(decoding: data, as: UTF8.self))
                }
            }
        }
    }
}

/// One line of `ps`: docker compose's columns, and its JSON keys.
struct PsRow: Sendable, Hashable, Codable {
    var ID: String
    var Name: String
    var Image: String
    var Command: String
    var Project: String
    var Service: String
    var CreatedAt: String
    var RunningFor: String
    var State: String
    var Status: String
    var ExitCode: Int32
    /// `starting`, `healthy`, `unhealthy`, or empty without a health check (docker's `Health`).
    var Health: String
    /// Restarts by the restart policy since the user last started the container.
    var RestartCount: Int
    var Publishers: [String]

    init(_ container: ObservedContainer, now: Double) {
        ID = container.id
        Name = container.name
        Image = container.imageReference ?? container.imageID
        Command = Self.command(container.recordedConfig)
        Project = container.project ?? ""
        Service = container.service ?? ""
        CreatedAt = Date(timeIntervalSince1970: container.created).formatted(.iso8601)
        RunningFor = Self.ago(now - container.created)
        State = container.state.rawValue
        Status = Self.status(container)
        ExitCode = container.exitCode ?? 0
        Health = container.health ?? ""
        RestartCount = container.restartCount
        // Published ports come with networking (issue 5).
        Publishers = []
    }

    /// The aligned table, header first, columns separated by three spaces as docker's are.
    static func table(_ rows: [PsRow]) -> String {
        let header = ["NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS", "PORTS"]
        let cells = [header] + rows.map { row in
            [row.Name, row.Image, "\"" + truncated(row.Command, 20) + "\"", row.Service, row.RunningFor, row.Status, ""]
        }
        let widths = header.indices.map { column in cells.map { $0[column].count }.max() ?? 0 }
        return cells.map { line in
            line.indices.map { column in
                column == line.count - 1 ? line[column]
                    : line[column] + String(repeating: " ", count: widths[column] - line[column].count)
            }.joined(separator: "   ").trimmingTrailingSpaces()
        }.joined(separator: "\n")
    }

    /// The entrypoint and command the container was created with, as recorded, joined by spaces;
    /// empty when the image's own are used (the engine records only what the files say).
    static func command(_ recorded: [String: String]?) -> String {
        ["entrypoint", "command"].compactMap { key -> String? in
            guard let json = recorded?[key], let data = json.data(using: .utf8) else { return nil }
            if let words = try? JSONDecoder().decode([String].self, from: data) { return words.joined(separator: " ") }
            return try? JSONDecoder().decode(String.self, from: data)
        }.joined(separator: " ")
    }

    static func truncated(_ text: String, _ width: Int) -> String {
        text.count <= width ? text : String(text.prefix(width - 1)) + "…"
    }

    /// docker's STATUS words. The engine keeps the creation time only, so `Up` carries no duration.
    /// A restart count and the health status are added as docker adds them: `Up (healthy)`,
    /// `Exited (1), restarted 2 times`.
    static func status(_ container: ObservedContainer) -> String {
        var status = switch container.state {
        case .running: "Up"
        case .paused: "Up (Paused)"
        case .restarting: "Restarting"
        case .created: "Created"
        case .exited: "Exited (\(container.exitCode ?? 0))"
        case .dead: "Dead"
        }
        if container.state == .running, let health = container.health {
            status += health == "starting" ? " (health: starting)" : " (\(health))"
        }
        if container.restartCount > 0 {
            status += ", restarted \(container.restartCount) time\(container.restartCount == 1 ? "" : "s")"
        }
        return status
    }

    /// `5 seconds ago`, `3 minutes ago`, as docker's CREATED column says it.
    static func ago(_ seconds: Double) -> String {
        let value = max(0, Int(seconds))
        let (count, unit): (Int, String) = switch value {
        case ..<60: (value, "second")
        case ..<3600: (value / 60, "minute")
        case ..<86400: (value / 3600, "hour")
        default: (value / 86400, "day")
        }
        return "\(count) \(unit)\(count == 1 ? "" : "s") ago"
    }
}

extension String {
    fileprivate func trimmingTrailingSpaces() -> String {
        var text = self
        while text.hasSuffix(" ") { text.removeLast() }
        return text
    }
}
