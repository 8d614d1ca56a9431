import EngineAPI
import Foundation
import Runtime
#if canImport(Glibc)
import Glibc
#endif

/// A container's `logging` as the engine honours it: docker's `json-file` driver written by the
/// container's monitor, `none`, `local` (written as json-file with local's default rotation of
/// 20 MiB × 5 files, since Berth has no binary log format of its own), or `journald` (entries
/// the monitor sends to journald's socket, with docker's fields; `berth logs` reads them back
/// through libsystemd). The settings travel in the bundle's annotations, so a container
/// restarted from its durable `config.json` keeps them.
struct LogSettings: Sendable, Hashable {
    enum Driver: String, Sendable, Hashable {
        case jsonFile = "json-file"
        case none
        case journald
    }

    /// journald's native socket; `BERTH_JOURNAL_SOCKET` points elsewhere (a journald a test
    /// runs in a mount namespace of its own binds the usual path, so tests rarely need it).
    static var journalSocket: String {
        ProcessInfo.processInfo.environment["BERTH_JOURNAL_SOCKET"].flatMap { $0.isEmpty ? nil : $0 } ?? "/run/systemd/journal/socket"
    }

    var driver: Driver
    /// `max-size` in bytes; nil never rotates.
    var maxSize: Int64?
    /// `max-file`: files kept, the live one included.
    var maxFiles: Int
    /// journald: the container's name and `tag` (docker's CONTAINER_TAG and SYSLOG_IDENTIFIER;
    /// the short id when nil).
    var journalName: String?
    var journalTag: String?

    /// Options docker's json-file driver takes that change nothing in the file Berth writes
    /// (`labels`/`env`/`tag` add attributes docker's own readers show, `compress` gzips rotated
    /// files): accepted, and `up` says they have no effect.
    static let acceptedWithoutEffect: Set<String> = ["compress", "labels", "labels-regex", "env", "env-regex", "tag"]

    static let driverAnnotation = "io.berth.log.driver"
    static let maxSizeAnnotation = "io.berth.log.max-size"
    static let maxFilesAnnotation = "io.berth.log.max-file"
    static let journalNameAnnotation = "io.berth.log.journald.name"
    static let journalTagAnnotation = "io.berth.log.journald.tag"

    /// Checks `logging` against what the engine can do; anything else is refused, naming it.
    init(_ logging: ContainerSpec.Logging, container: String) throws(EngineError) {
        let object = "container \(container)"
        var options = logging.options
        switch logging.driver ?? "json-file" {
        case "json-file":
            driver = .jsonFile
            maxSize = nil
            maxFiles = 1
        case "local":
            driver = .jsonFile
            maxSize = 20 << 20
            maxFiles = 5
        case "none":
            driver = .none
            maxSize = nil
            maxFiles = 1
            if let option = options.keys.sorted().first {
                throw EngineError(.unsupported, object: object, "logging.options.\(option): the none driver takes no options")
            }
        case "journald":
            driver = .journald
            maxSize = nil
            maxFiles = 1
            journalName = container
            if let tag = options.removeValue(forKey: "tag") {
                guard !tag.contains("{{"), !tag.contains("\n"), !tag.isEmpty else {
                    throw EngineError(.unsupported, object: object, "logging.options.tag \"\(tag)\": only a literal tag is supported with journald, not a template")
                }
                journalTag = tag
            }
            for option in ["max-size", "max-file", "compress"] where options[option] != nil {
                throw EngineError(.unsupported, object: object, "logging.options.\(option): the journald driver does not rotate (journald keeps its own limits)")
            }
            // As `up` starts the container, not later: a missing journal is said at once.
            let socket = Self.journalSocket
            var status = stat()
            guard stat(socket, &status) == 0, status.st_mode & S_IFMT == S_IFSOCK else {
                throw EngineError(.unsupported, object: object,
                                  "logging.driver journald: the journal is not running (no socket at \(socket)): start systemd-journald, or use the json-file driver")
            }
        case let other:
            throw EngineError(.unsupported, object: object, "logging.driver \(other) is not supported: use json-file (the default), local, journald or none")
        }
        if let text = options.removeValue(forKey: "max-size") {
            guard let bytes = Self.bytes(text), bytes > 0 else {
                throw EngineError(.unsupported, object: object, "logging.options.max-size \"\(text)\": expected a size such as 10m, 512k or 1g")
            }
            maxSize = bytes
        }
        if let text = options.removeValue(forKey: "max-file") {
            guard let count = Int(text), count >= 1 else {
                throw EngineError(.unsupported, object: object, "logging.options.max-file \"\(text)\": expected a whole number of at least 1")
            }
            if count > 1 && maxSize == nil {
                throw EngineError(.unsupported, object: object, "logging.options.max-file needs max-size: files rotate when the live one reaches max-size")
            }
            maxFiles = count
        }
        if let option = options.keys.sorted().first(where: { !Self.acceptedWithoutEffect.contains($0) }) {
            throw EngineError(.unsupported, object: object, "logging.options.\(option) is not supported by the \(logging.driver ?? "json-file") driver here (supported: max-size, max-file)")
        }
    }

    /// Reads the settings back from a bundle's annotations; json-file without rotation when
    /// the bundle predates them.
    init(annotations: [String: String]) {
        driver = annotations[Self.driverAnnotation].flatMap(Driver.init(rawValue:)) ?? .jsonFile
        maxSize = annotations[Self.maxSizeAnnotation].flatMap { Int64($0) }
        maxFiles = annotations[Self.maxFilesAnnotation].flatMap { Int($0) } ?? 1
        journalName = annotations[Self.journalNameAnnotation]
        journalTag = annotations[Self.journalTagAnnotation]
        project = annotations["com.docker.compose.project"]
        service = annotations["com.docker.compose.service"]
    }

    /// The compose project and service, for journal fields (from the labels in the annotations).
    private var project: String?
    private var service: String?

    var annotations: [String: String] {
        var annotations = [Self.driverAnnotation: driver.rawValue, Self.maxFilesAnnotation: String(maxFiles)]
        if let maxSize { annotations[Self.maxSizeAnnotation] = String(maxSize) }
        if let journalName { annotations[Self.journalNameAnnotation] = journalName }
        if let journalTag { annotations[Self.journalTagAnnotation] = journalTag }
        return annotations
    }

    /// What the runtime is asked to do with container `id`'s output, given its log file.
    func capture(path: String, container id: String) -> ContainerRuntime.LogCapture? {
        switch driver {
        case .jsonFile: return ContainerRuntime.LogCapture(path: path, maxSize: maxSize, maxFiles: maxFiles)
        case .none: return nil
        case .journald: return ContainerRuntime.LogCapture(path: Self.journalSocket, journalFields: journalFields(id))
        }
    }

    /// The fields of every journal entry of container `id`: docker's journald driver's, and
    /// compose's project and service as its `labels` option would add them.
    func journalFields(_ id: String) -> [String] {
        let short = String(id.prefix(12))
        var fields = ["CONTAINER_ID=" + short, "CONTAINER_ID_FULL=" + id]
        if let journalName { fields.append("CONTAINER_NAME=" + journalName) }
        fields.append("CONTAINER_TAG=" + (journalTag ?? short))
        fields.append("SYSLOG_IDENTIFIER=" + (journalTag ?? short))
        if let project { fields.append("COM_DOCKER_COMPOSE_PROJECT=" + project) }
        if let service { fields.append("COM_DOCKER_COMPOSE_SERVICE=" + service) }
        // A value with a newline would end the field early (journald's text form): cut there.
        return fields.map { String($0.prefix { $0 != "\n" }) }
    }

    /// docker's size syntax (`units.RAMInBytes`): a number with an optional b, k, m or g
    /// suffix (and an optional trailing b: `10mb`), in powers of 1024.
    static func bytes(_ text: String) -> Int64? {
        var digits = text.lowercased()
        if digits.hasSuffix("b") { digits.removeLast() }
        var multiplier: Int64 = 1
        switch digits.last {
        case "k": multiplier = 1 << 10
        case "m": multiplier = 1 << 20
        case "g": multiplier = 1 << 30
        case "t": multiplier = 1 << 40
        default: break
        }
        if multiplier > 1 { digits.removeLast() }
        guard let value = Double(digits), value >= 0 else { return nil }
        let bytes = value * Double(multiplier)
        return bytes < Double(Int64.max) ? Int64(bytes) : nil
    }
}
