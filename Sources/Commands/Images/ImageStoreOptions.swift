import ArgumentParser
import Foundation
import Images
import OCISpec
import StateStore

/// The data-directory option every image command shares.
struct ImageStoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Data directory (default: /var/lib/berth as root, $XDG_DATA_HOME/berth otherwise; env BERTH_DATA_DIR).",
                                             valueName: "dir"))
    var root: String?

    var dataDirectory: URL { DataDirectory.resolve(explicit: root) }

    func openStore() throws -> ImageStore { try ImageStore(dataDirectory: dataDirectory) }

    /// The image IDs containers of every project use, with those containers' names, from the state
    /// database beside the store (the engine keeps it in the same data directory). A stopped
    /// container counts: starting it again needs its image's layers. No database yet: none.
    func containersByImage() throws -> [Digest: [String]] {
        let database = dataDirectory.appendingPathComponent("state.db").path
        guard FileManager.default.fileExists(atPath: database) else { return [:] }
        let state = try StateStore(path: database)
        var users: [Digest: [String]] = [:]
        for project in try state.projects() {
            for container in try state.containers(project: project.name) {
                guard let id = try? Digest(parsing: container.imageID) else { continue }
                users[id, default: []].append(container.name)
            }
        }
        return users
    }
}

/// Unpacks imported images' layers (as a registry pull does), printing on stderr what the user
/// should know: device nodes skipped, owners lost without a subordinate range (each once).
func unpackImported(_ records: [ImageRecord], in store: ImageStore) throws {
    var said = Set<String>()
    for record in records {
        for report in try store.unpackLayers(of: record) {
            for note in report.skipped where said.insert(note).inserted { printError("note: \(note)") }
            for warning in report.warnings where said.insert(warning).inserted { printError("warning: \(warning)") }
        }
    }
}

/// Formatting shared by the image listings: sizes as docker prints them, times relative to now.
enum ImageFormat {
    static func size(_ bytes: Int64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1000, unit < units.count - 1 { value /= 1000; unit += 1 }
        return unit == 0 ? "\(bytes)B" : String(format: value < 10 ? "%.2f%@" : "%.1f%@", value, units[unit])
    }

    static func age(_ created: String?, now: Date = Date()) -> String {
        guard let created, let date = try? Date(created, strategy: .iso8601) else { return "unknown" }
        let seconds = Int(now.timeIntervalSince(date))
        switch seconds {
        case ..<60: return "Less than a minute ago"
        case ..<3600: return "\(seconds / 60) minutes ago"
        case ..<86_400: return "\(seconds / 3600) hours ago"
        case ..<(86_400 * 14): return "\(seconds / 86_400) days ago"
        case ..<(86_400 * 60): return "\(seconds / 604_800) weeks ago"
        case ..<(86_400 * 365 * 2): return "\(seconds / 2_592_000) months ago"
        default: return "\(seconds / 31_536_000) years ago"
        }
    }

    /// Left-aligned columns separated by three spaces, as docker's tables.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "   ")
        }.joined(separator: "\n")
    }

    static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
