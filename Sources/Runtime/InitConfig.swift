import OCISpec

/// The configuration `berth-init` reads from descriptor 3: records of `KEY LENGTH\n` followed by
/// LENGTH payload bytes, composite payloads separated by NUL. Private to Runtime and
/// Sources/CBerthInit/berth-init.c, which must change together.
struct InitConfig: Sendable, Hashable {
    private(set) var bytes: [UInt8] = []

    mutating func add(_ key: String, _ payload: [UInt8] = []) {
        bytes += Array("\(key) \(payload.count)\n".utf8) + payload
    }

    mutating func add(_ key: String, _ text: String) { add(key, Array(text.utf8)) }

    mutating func add(_ key: String, fields: [String]) {
        add(key, fields.map { Array($0.utf8) + [0] }.flatMap { $0 })
    }
}
