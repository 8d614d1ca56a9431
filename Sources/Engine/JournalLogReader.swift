#if canImport(Glibc)
import Glibc
#endif
import CSystemd
import Foundation
import SystemSupport

/// What `berth logs` reads a container's output from: its json-file log or, for the journald
/// driver, the journal. Not thread-safe: one per container, used by one task.
public protocol ContainerLogSource: AnyObject {
    /// Every record so far, oldest first; the source then stands at the end.
    func readAll() -> [LogEntry]
    /// The records written since the last call.
    func readNew() -> [LogEntry]
}

extension ContainerLogReader: ContainerLogSource {}

/// A container's entries in the local journal (the journald driver), through libsystemd's
/// sd-journal: matched on `CONTAINER_ID_FULL`, `PRIORITY` 3 read as stderr (as the monitor
/// writes it, after docker), a `CONTAINER_PARTIAL_MESSAGE` entry read as a piece of a longer
/// line. Following uses the journal's own change tracking (`sd_journal_process`), so rotated
/// and newly created journal files are picked up.
public final class JournalLogReader: ContainerLogSource {
    public let containerID: String
    private var journal: OpaquePointer?

    /// Opens the local journal (every file this user may read); a journal that cannot be opened
    /// reads as empty.
    public init(containerID: String) {
        self.containerID = containerID
        var handle: OpaquePointer?
        guard sd_journal_open(&handle, Int32(SD_JOURNAL_LOCAL_ONLY)) >= 0, let handle else { return }
        let match = "CONTAINER_ID_FULL=" + containerID
        _ = match.withCString { sd_journal_add_match(handle, $0, 0) }
        // Sets up the change tracking sd_journal_process relies on.
        _ = sd_journal_get_fd(handle)
        journal = handle
    }

    deinit { if let journal { sd_journal_close(journal) } }

    public func readAll() -> [LogEntry] {
        guard let journal else { return [] }
        _ = sd_journal_seek_head(journal)
        return next()
    }

    public func readNew() -> [LogEntry] {
        guard let journal else { return [] }
        _ = sd_journal_process(journal)
        return next()
    }

    private func next() -> [LogEntry] {
        guard let journal else { return [] }
        var entries: [LogEntry] = []
        while sd_journal_next(journal) > 0 {
            guard var text = field("MESSAGE") else { continue }
            if field("CONTAINER_PARTIAL_MESSAGE") != "true" { text += "\n" }
            var microseconds: UInt64 = 0
            _ = sd_journal_get_realtime_usec(journal, &microseconds)
            let time = LogTime(seconds: Int64(microseconds / 1_000_000), nanoseconds: Int32(microseconds % 1_000_000) * 1000)
            entries.append(LogEntry(time: time, stream: field("PRIORITY") == "3" ? .stderr : .stdout, text: text))
        }
        return entries
    }

    /// The value of `name` in the current entry (the bytes after `NAME=`), as UTF-8 text.
    private func field(_ name: String) -> String? {
        guard let journal else { return nil }
        var data: UnsafeRawPointer?
        var length = 0
        guard name.withCString({ sd_journal_get_data(journal, $0, &data, &length) }) >= 0, let data else { return nil }
        let prefix = name.utf8.count + 1
        guard length >= prefix else { return nil }
        let bytes = UnsafeRawBufferPointer(start: data, count: length)[prefix...]
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension LocalEngine {
    /// Where container `id`'s output is read from: the journal for the journald driver, its
    /// json-file log otherwise (`none` reads as an empty file that never appears).
    public func logSource(_ id: String) -> any ContainerLogSource { Self.logSource(id, locations: locations) }

    public static func logSource(_ id: String, locations: EngineLocations) -> any ContainerLogSource {
        if logDriver(id, locations: locations) == LogSettings.Driver.journald.rawValue { return JournalLogReader(containerID: id) }
        return ContainerLogReader(path: locations.log(id))
    }

    /// The container's logging driver as its bundle records it (`json-file` when it predates the
    /// record, nil when the container is unknown).
    public func logDriver(_ id: String) -> String? { Self.logDriver(id, locations: locations) }

    public static func logDriver(_ id: String, locations: EngineLocations) -> String? {
        guard isEngineID(id), let bytes = try? Files.readBytes(locations.layer(id) + "/config.json", stage: "logs"),
              let spec = try? JSONDecoder().decode(ConfigAnnotations.self, from: Data(bytes)) else { return nil }
        return LogSettings(annotations: spec.annotations ?? [:]).driver.rawValue
    }

    /// Only what `logDriver` needs of `config.json`.
    private struct ConfigAnnotations: Decodable {
        var annotations: [String: String]?
    }
}
