import Engine
import EngineAPI
import Foundation

/// The logs of a project's containers for `logs` and attached `up`: what they have written so
/// far, merged in time order, then followed. Following picks up a container of the selection
/// that appears later (a recreate, a scale-up) and keeps reading one that restarts (its monitor
/// appends to the same file) or whose log rotates.
final class ProjectLogs {
    /// Which records to show.
    struct Filter {
        var since: LogTime?
        var until: LogTime?
        /// The last N records of each container (after `since`/`until`), as `--tail`.
        var tail: Int?

        func admits(_ entry: LogEntry) -> Bool {
            if let since, entry.time < since { return false }
            if let until, entry.time > until { return false }
            return true
        }
    }

    let session: EngineSession
    let project: String
    let selects: (ObservedContainer) -> Bool
    var filter: Filter
    var printer: LogPrinter
    private(set) var followed: [String: (container: ObservedContainer, reader: any ContainerLogSource)] = [:]

    init(session: EngineSession, project: String, filter: Filter, printer: LogPrinter,
         selects: @escaping (ObservedContainer) -> Bool) {
        self.session = session
        self.project = project
        self.filter = filter
        self.printer = printer
        self.selects = selects
    }

    /// The selected containers now, in docker compose's order (service, number).
    func containers() async throws -> [ObservedContainer] {
        try await session.observe(project: project).containers.filter(selects)
            .sorted { ($0.service ?? "", $0.number ?? 0, $0.name) < ($1.service ?? "", $1.number ?? 0, $1.name) }
    }

    /// Prints what `containers` have logged so far, merged in time order (a container's own
    /// records keep their order when times tie), and starts following them.
    func printExisting(_ containers: [ObservedContainer]) {
        var batch: [(LogEntry, ObservedContainer)] = []
        for container in containers {
            printer.add(container)
            let path = session.engine.locations.log(container.id)
            // The monitor creates the file when it launches the container, so only a container
            // whose output is not kept (or goes to the journal) has none.
            let journal = session.engine.logDriver(container.id) == "journald"
            if !journal && !FileManager.default.fileExists(atPath: path) {
                Console.warn("\(container.name): no log to show (its logging driver is none, or it was created before Berth kept logs)")
            }
            let reader = session.engine.logSource(container.id)
            followed[container.id] = (container, reader)
            var entries = reader.readAll().filter(filter.admits)
            if let tail = filter.tail { entries = Array(entries.suffix(tail)) }
            batch += entries.map { ($0, container) }
        }
        emit(batch)
    }

    /// Reads what the followed containers wrote since the last call and prints it, after picking
    /// up new containers of the selection from `current`. Returns whether anything was printed.
    @discardableResult
    func poll(current: [ObservedContainer]) -> Bool {
        var batch: [(LogEntry, ObservedContainer)] = []
        for container in current where followed[container.id] == nil {
            printer.add(container)
            let reader = session.engine.logSource(container.id)
            followed[container.id] = (container, reader)
            batch += reader.readAll().filter(filter.admits).map { ($0, container) }
        }
        var gone: [ObservedContainer] = []
        for (id, entry) in followed {
            let latest = current.first { $0.id == id }
            followed[id]?.container = latest ?? entry.container
            batch += entry.reader.readNew().filter(filter.admits).map { ($0, latest ?? entry.container) }
            if latest == nil {
                // Removed (a recreate, `down`): what it wrote is read above; its file is gone.
                followed[id] = nil
                gone.append(entry.container)
            }
        }
        emit(batch)
        gone.forEach(finish)
        return !batch.isEmpty
    }

    /// Ends the incomplete last line of `container`, if it left one.
    func finish(_ container: ObservedContainer) {
        if let line = printer.flush(container) { Console.out(line) }
    }

    private func emit(_ batch: [(LogEntry, ObservedContainer)]) {
        guard !batch.isEmpty else { return }
        // Stable: records of one container that share a time keep the order they were read in.
        let ordered = batch.enumerated().sorted { ($0.element.0.time, $0.offset) < ($1.element.0.time, $1.offset) }
        var text = ""
        for (_, (entry, container)) in ordered {
            if let line = printer.format(entry, of: container) { text += line + "\n" }
        }
        if !text.isEmpty { Console.out(text) }
    }
}
