import ArgumentParser
import Engine
import EngineAPI
import Foundation

/// `berth logs [SERVICE…]`, as `docker compose logs`: the json-file logs of the project's
/// containers, merged in time order, each line prefixed with its container's name.
struct Logs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "View output from containers.")

    @OptionGroup var project: ProjectOptions

    // `-f` reaches here as --follow (GlobalOptions): ProjectOptions owns the letter for --file.
    @Flag(name: .long, help: "Follow log output (-f).")
    var follow = false

    @Option(name: .long, help: ArgumentHelp("Number of lines to show from the end of the logs for each container, or all.", valueName: "N|all"))
    var tail = "all"

    @Option(name: .long, help: "Show logs since a timestamp (2026-11-22T17:00:00Z) or relative time (42m).")
    var since: String?

    @Option(name: .long, help: "Show logs before a timestamp (2026-11-22T17:00:00Z) or relative time (42m).")
    var until: String?

    @Flag(name: .shortAndLong, help: "Show timestamps.")
    var timestamps = false

    @Flag(name: .long, help: "Produce monochrome output.")
    var noColor = false

    @Flag(name: .long, help: "Don't print a prefix in the logs.")
    var noLogPrefix = false

    @Option(name: .long, help: "Index of the container if the service has multiple replicas.")
    var index: Int?

    @Argument(help: "Services whose logs to show (default: all).")
    var services: [String] = []

    func validate() throws {
        _ = try filter()
        if let index, index < 1 { throw ValidationError("--index must be at least 1") }
    }

    func filter(now: Date = Date()) throws -> ProjectLogs.Filter {
        var filter = ProjectLogs.Filter()
        if tail != "all" && tail != "-1" {
            guard let count = Int(tail), count >= 0 else { throw ValidationError("--tail \(tail): expected a number of lines or all") }
            filter.tail = count
        }
        for (flag, value) in [("--since", since), ("--until", until)] {
            guard let value else { continue }
            guard let time = LogTime(filter: value, now: now) else {
                throw ValidationError("\(flag) \(value): expected an RFC 3339 time (2026-11-22T17:00:00Z), Unix seconds, or a duration before now (10m, 1h30m)")
            }
            if flag == "--since" { filter.since = time } else { filter.until = time }
        }
        return filter
    }

    func run() async throws {
        let loaded = try project.load()
        for name in services where loaded.services[name] == nil {
            throw CommandFailure("no such service: \(name)")
        }
        let session = try EngineSession()
        let printer = LogPrinter(prefix: !noLogPrefix, colors: LogPrinter.wantsColors(noColor: noColor), timestamps: timestamps)
        let logs = ProjectLogs(session: session, project: loaded.name, filter: try filter(), printer: printer) { container in
            !container.isOneoff && (services.isEmpty || services.contains(container.service ?? ""))
                && (index == nil || container.number == index)
        }
        let containers = try await logs.containers()
        logs.printExisting(containers)
        guard follow else {
            containers.forEach(logs.finish)
            return
        }
        // Until every selected container has stopped (as docker compose), or Ctrl-C. Stopped for
        // a whole second: a recreate stops the old container before it starts the new one, and
        // the follower should carry on with the new one.
        var quietSince: ContinuousClock.Instant?
        while true {
            try await Task.sleep(for: .milliseconds(100))
            let current = try await logs.containers()
            let printed = logs.poll(current: current)
            guard !printed && !current.contains(where: \.isActive) else {
                quietSince = nil
                continue
            }
            let since = quietSince ?? .now
            quietSince = since
            if ContinuousClock.now - since >= .seconds(1) {
                current.forEach(logs.finish)
                return
            }
        }
    }
}
