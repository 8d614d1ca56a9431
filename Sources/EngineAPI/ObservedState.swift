/// Everything an engine holds for one project: the containers, networks and volumes labelled
/// with its name (`com.docker.compose.project`). External networks and volumes carry no such
/// label and are not part of it.
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
