/// The label keys docker compose puts on what it creates. Berth sets the same keys so a plan is
/// computed from labels alone and so tools that read compose labels see Berth's stacks.
public enum ResourceLabels {
    public static let project = "com.docker.compose.project"
    public static let service = "com.docker.compose.service"
    public static let containerNumber = "com.docker.compose.container-number"
    /// SHA-256 of the service's canonical form (`ComposeSpec.ConfigHash`).
    public static let configHash = "com.docker.compose.config-hash"
    /// `"True"` on containers made by `run`, `"False"` otherwise (compose's spelling).
    public static let oneoff = "com.docker.compose.oneoff"
    public static let workingDir = "com.docker.compose.project.working_dir"
    /// Compose files, comma-separated.
    public static let configFiles = "com.docker.compose.project.config_files"
    /// `name:condition:restart` entries, comma-separated, as compose writes them.
    public static let dependsOn = "com.docker.compose.depends_on"
    /// The image id (digest) the container was created from.
    public static let image = "com.docker.compose.image"
    public static let version = "com.docker.compose.version"
    public static let network = "com.docker.compose.network"
    public static let volume = "com.docker.compose.volume"
    /// The random suffix compose gives a `run` container's name.
    public static let slug = "com.docker.compose.slug"

    /// The compose version Berth claims in `com.docker.compose.version`: the compose release whose
    /// labels and behaviour it follows.
    public static let compatibleComposeVersion = "2.40.0"

    /// compose's spelling of booleans in labels.
    public static func boolean(_ value: Bool) -> String { value ? "True" : "False" }

    /// One `depends_on` entry of the `com.docker.compose.depends_on` label.
    public struct Dependency: Sendable, Hashable, Codable {
        public var service: String
        public var condition: String
        public var restart: Bool

        public init(service: String, condition: String, restart: Bool) {
            self.service = service
            self.condition = condition
            self.restart = restart
        }
    }

    /// The label value for `dependencies`: `db:service_started:false,cache:service_healthy:true`.
    public static func dependsOnValue(_ dependencies: [Dependency]) -> String {
        dependencies.map { "\($0.service):\($0.condition):\($0.restart)" }.joined(separator: ",")
    }

    /// Reads a `com.docker.compose.depends_on` value; malformed entries keep at least the name, so
    /// ordering still works on labels written by another tool.
    public static func dependencies(from value: String) -> [Dependency] {
        value.split(separator: ",").compactMap { entry in
            let parts = entry.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard let name = parts.first, !name.isEmpty else { return nil }
            return Dependency(service: name,
                              condition: parts.count > 1 ? parts[1] : "service_started",
                              restart: parts.count > 2 && parts[2] == "true")
        }
    }
}
