/// A named volume to create.
public struct VolumeSpec: Sendable, Hashable, Codable {
    /// `name:`, else `<project>_<key>`.
    public var name: String
    /// `labels` plus `com.docker.compose.project`, `.volume` and `.version`.
    public var labels: [String: String]
    /// `driver`; nil is the engine's local volumes.
    public var driver: String?
    public var driverOptions: [String: String]

    public init(name: String, labels: [String: String]) {
        self.name = name
        self.labels = labels
        driverOptions = [:]
    }
}
