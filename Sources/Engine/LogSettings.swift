import EngineAPI
import Runtime

/// A container's `logging` as the engine honours it: docker's `json-file` driver written by the
/// container's monitor, `none`, or `local` (written as json-file with local's default rotation of
/// 20 MiB × 5 files, since Berth has no binary log format of its own). The settings travel in the
/// bundle's annotations, so a container restarted from its durable `config.json` keeps them.
struct LogSettings: Sendable, Hashable {
    enum Driver: String, Sendable, Hashable {
        case jsonFile = "json-file"
        case none
    }

    var driver: Driver
    /// `max-size` in bytes; nil never rotates.
    var maxSize: Int64?
    /// `max-file`: files kept, the live one included.
    var maxFiles: Int

    /// Options docker's json-file driver takes that change nothing in the file Berth writes
    /// (`labels`/`env`/`tag` add attributes docker's own readers show, `compress` gzips rotated
    /// files): accepted, and `up` says they have no effect.
    static let acceptedWithoutEffect: Set<String> = ["compress", "labels", "labels-regex", "env", "env-regex", "tag"]

    static let driverAnnotation = "io.berth.log.driver"
    static let maxSizeAnnotation = "io.berth.log.max-size"
    static let maxFilesAnnotation = "io.berth.log.max-file"

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
            throw EngineError(.unsupported, object: object, "logging.driver journald is not supported yet: use json-file (the default) or none")
        case let other:
            throw EngineError(.unsupported, object: object, "logging.driver \(other) is not supported: use json-file (the default), local or none")
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
    }

    var annotations: [String: String] {
        var annotations = [Self.driverAnnotation: driver.rawValue, Self.maxFilesAnnotation: String(maxFiles)]
        if let maxSize { annotations[Self.maxSizeAnnotation] = String(maxSize) }
        return annotations
    }

    /// What the runtime is asked to do with the container's output, given its log file.
    func capture(path: String) -> ContainerRuntime.LogCapture? {
        driver == .jsonFile ? ContainerRuntime.LogCapture(path: path, maxSize: maxSize, maxFiles: maxFiles) : nil
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
