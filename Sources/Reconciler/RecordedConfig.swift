import ComposeSpec
import YAML

/// A service's configuration as compose key → canonical JSON of the value, the form engines record
/// (`ContainerSpec.recordedConfig`) so the planner can name the keys that changed. It leaves out
/// exactly what `ConfigHash` leaves out, so keys differ only when the hash does.
public enum RecordedConfig {
    public static func of(_ service: Service) throws -> [String: String] {
        var result: [String: String] = [:]
        for pair in try ProjectEncoding.node(of: ConfigHash.hashedPart(of: service)).mappingPairs ?? [] {
            guard let key = pair.key.scalarText else { continue }
            result[key] = JSONEmitter.emit(pair.value, pretty: false)
        }
        return result
    }

    /// Keys whose values differ between two recorded configurations, sorted.
    public static func changedKeys(from old: [String: String], to new: [String: String]) -> [String] {
        Set(old.keys).union(new.keys).filter { old[$0] != new[$0] }.sorted()
    }
}
