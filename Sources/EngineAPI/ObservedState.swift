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

/// Everything an engine holds for one project: containers, networks and volumes labelled with
/// the project's name, plus the names of networks and volumes the project refers to as external.
public struct ObservedState: Sendable, Hashable, Codable {
    public var project: String
    public var containers: [ObservedContainer]
    public var networks: [ObservedNetwork]
    public var volumes: [ObservedVolume]

    public init(project: String, containers: [ObservedContainer] = [], networks: [ObservedNetwork] = [],
                volumes: [ObservedVolume] = []) {
        self.project = project
        self.containers = containers
        self.networks = networks
        self.volumes = volumes
    }
}
