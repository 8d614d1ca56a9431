import EngineAPI

/// One action and why it is needed.
public struct PlanStep: Sendable, Hashable, Codable {
    /// A container the plan acts on: its service, replica number, engine-wide name (for a create
    /// or recreate, the name it will have) and, when it exists already, id.
    public struct ContainerRef: Sendable, Hashable, Codable {
        public var service: String
        public var number: Int
        public var name: String
        public var id: String?

        public init(service: String, number: Int, name: String, id: String? = nil) {
            self.service = service
            self.number = number
            self.name = name
            self.id = id
        }

        /// `web-1`: what plans print.
        public var shortName: String { "\(service)-\(number)" }
    }

    /// How to stop a running container.
    public struct StopPolicy: Sendable, Hashable, Codable {
        public var signal: String
        public var gracePeriod: Double
        public init(signal: String, gracePeriod: Double) {
            self.signal = signal
            self.gracePeriod = gracePeriod
        }
    }

    public enum Action: Sendable, Hashable, Codable {
        case createNetwork(NetworkSpec)
        case createVolume(VolumeSpec)
        /// Create a container and, with `start`, start it.
        case createContainer(ContainerRef, start: Bool)
        /// Create the replacement, stop and remove `container.id`, give the replacement its name,
        /// start it when `start`; `renewAnonymousVolumes` drops the old anonymous volumes.
        case recreateContainer(ContainerRef, stop: StopPolicy, start: Bool, renewAnonymousVolumes: Bool)
        case startContainer(ContainerRef)
        /// Stop (when running) and remove.
        case removeContainer(ContainerRef, stop: StopPolicy?, removeAnonymousVolumes: Bool)
        case removeNetwork(name: String)
        case removeVolume(name: String)
        case removeImage(reference: String)
    }

    public var action: Action
    public var reason: String

    public init(_ action: Action, reason: String) {
        self.action = action
        self.reason = reason
    }

    /// The service whose ordering the step follows; nil for networks, volumes and images.
    public var service: String? { container?.service }

    public var container: ContainerRef? {
        switch action {
        case .createContainer(let ref, _), .recreateContainer(let ref, _, _, _), .startContainer(let ref),
             .removeContainer(let ref, _, _):
            return ref
        case .createNetwork, .createVolume, .removeNetwork, .removeVolume, .removeImage:
            return nil
        }
    }

    /// The verb `up --dry-run` prints.
    public var verb: String {
        switch action {
        case .createNetwork, .createVolume, .createContainer: "create"
        case .recreateContainer: "recreate"
        case .startContainer: "start"
        case .removeContainer, .removeNetwork, .removeVolume, .removeImage: "remove"
        }
    }

    /// What the step acts on, as printed: `web-1`, `network demo_default`.
    public var object: String {
        switch action {
        case .createNetwork(let spec): "network \(spec.name)"
        case .createVolume(let spec): "volume \(spec.name)"
        case .removeNetwork(let name): "network \(name)"
        case .removeVolume(let name): "volume \(name)"
        case .removeImage(let reference): "image \(reference)"
        case .createContainer(let ref, _), .recreateContainer(let ref, _, _, _), .startContainer(let ref),
             .removeContainer(let ref, _, _):
            ref.shortName
        }
    }
}
