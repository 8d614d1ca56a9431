/// A volume an engine reports.
public struct ObservedVolume: Sendable, Hashable, Codable {
    /// The engine-wide name (`demo_data`).
    public var name: String
    public var labels: [String: String]

    public init(name: String, labels: [String: String] = [:]) {
        self.name = name
        self.labels = labels
    }

    /// The key under `volumes:` that made it, from `com.docker.compose.volume`.
    public var composeName: String? { labels[ResourceLabels.volume] }
}
