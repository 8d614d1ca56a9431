/// A network an engine reports.
public struct ObservedNetwork: Sendable, Hashable, Codable {
    public var id: String
    /// The engine-wide name (`demo_default`).
    public var name: String
    public var labels: [String: String]

    public init(id: String, name: String, labels: [String: String] = [:]) {
        self.id = id
        self.name = name
        self.labels = labels
    }

    /// The key under `networks:` that made it (`default`), from `com.docker.compose.network`.
    public var composeName: String? { labels[ResourceLabels.network] }
}
