import Synchronization

/// The key names each `CodingKeys` type allows, computed once per type: a project with
/// thousands of services opens tens of thousands of keyed containers.
enum KeyNames {
    private static let cache = Mutex<[ObjectIdentifier: Set<String>]>([:])

    static func of(_ type: any (CodingKey & CaseIterable).Type) -> Set<String> {
        let id = ObjectIdentifier(type)
        if let names = cache.withLock({ $0[id] }) { return names }
        let names = Set(type.allCaseNames)
        cache.withLock { $0[id] = names }
        return names
    }

    /// ` (did you mean "image"?)` for a key within two edits of a known one.
    static func suggestion(for key: String, among names: Set<String>) -> String {
        let close = names.filter { $0.editDistance(to: key) <= 2 }.sorted()
        return close.first.map { " (did you mean \"\($0)\"?)" } ?? ""
    }
}
