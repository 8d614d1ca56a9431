import Foundation

/// The parts of `containers-registries.conf(5)` Berth honours: `unqualified-search-registries` and
/// per-registry `insecure = true` (plain HTTP allowed). Read from `$CONTAINERS_REGISTRIES_CONF`, or
/// `~/.config/containers/registries.conf` (rootless), else `/etc/containers/registries.conf`.
public struct RegistriesConfiguration: Sendable, Hashable {
    public var unqualifiedSearchRegistries: [String] = []
    public var insecureRegistries: Set<String> = []

    public init(unqualifiedSearchRegistries: [String] = [], insecureRegistries: Set<String> = []) {
        self.unqualifiedSearchRegistries = unqualifiedSearchRegistries
        self.insecureRegistries = insecureRegistries
    }

    public static func load(environment: [String: String] = ProcessInfo.processInfo.environment) -> RegistriesConfiguration {
        var candidates: [String] = []
        if let explicit = environment["CONTAINERS_REGISTRIES_CONF"] { candidates.append(explicit) }
        if let home = environment["HOME"], geteuid() != 0 { candidates.append("\(home)/.config/containers/registries.conf") }
        candidates.append("/etc/containers/registries.conf")
        for path in candidates {
            if let text = try? String(contentsOfFile: path, encoding: .utf8) { return parse(text) }
        }
        return RegistriesConfiguration()
    }

    /// A deliberately small TOML reader: top-level string arrays and `[[registry]]` tables with
    /// `location`/`prefix` and `insecure`. Other keys are ignored, as podman ignores unknown ones.
    public static func parse(_ text: String) -> RegistriesConfiguration {
        var result = RegistriesConfiguration()
        var inRegistryTable = false
        var location: String?
        var insecure = false
        func closeTable() {
            if inRegistryTable, insecure, let location { result.insecureRegistries.insert(location) }
            location = nil
            insecure = false
        }
        // Joining continuation lines lets multi-line arrays parse like single-line ones.
        var logical: [String] = []
        var pending = ""
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            pending += line.trimmingCharacters(in: .whitespaces)
            if pending.filter({ $0 == "[" }).count <= pending.filter({ $0 == "]" }).count || pending.hasPrefix("[") {
                logical.append(pending)
                pending = ""
            }
        }
        for line in logical where !line.isEmpty {
            if line.hasPrefix("[[") || (line.hasPrefix("[") && !line.contains("=")) {
                closeTable()
                inRegistryTable = line == "[[registry]]"
                continue
            }
            guard let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            switch (inRegistryTable, key) {
            case (false, "unqualified-search-registries"): result.unqualifiedSearchRegistries = strings(in: value)
            case (true, "location"), (true, "prefix"): location = location ?? strings(in: value).first
            case (true, "insecure"): insecure = value == "true"
            default: break
            }
        }
        closeTable()
        return result
    }

    private static func strings(in value: String) -> [String] {
        value.split(separator: "\"", omittingEmptySubsequences: false).enumerated()
            .filter { $0.offset % 2 == 1 }.map { String($0.element) }
    }

    /// Whether plain HTTP may be used: loopback always (as docker does), others only when marked.
    public func allowsPlainHTTP(_ registry: String) -> Bool {
        let host = RegistryEndpoint.host(of: registry)
        return host == "localhost" || host.hasPrefix("127.") || host == "::1" || insecureRegistries.contains(registry)
            || insecureRegistries.contains(host)
    }
}

#if canImport(Glibc)
import Glibc
#endif
