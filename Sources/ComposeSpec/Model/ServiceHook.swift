import YAML

/// A lifecycle hook (`post_start`, `pre_start`, `pre_stop`, `develop.watch[].exec`): a command
/// run in the service's container.
public struct ServiceHook: Sendable, Hashable, Codable {
    /// The command in list form (a string is split like a shell, as `command:` is).
    public var command: [String]
    public var user: String?
    public var privileged: Bool?
    public var workingDir: String?
    /// As the service's `environment`: a nil value is taken from the environment.
    public var environment: [String: String?]?

    public init(command: [String]) { self.command = command }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case command, user, privileged
        case workingDir = "working_dir"
        case environment
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let node = try NodeDecoder.of(decoder)
        guard let commandNode = node.optionalChild("command") else {
            throw node.fail(.missingKey, "missing required key \"command\"")
        }
        command = try commandNode.command()
        if command.isEmpty { throw commandNode.fail("a hook's command must not be empty") }
        user = try container.decodeIfPresent(String.self, forKey: .user)
        privileged = try container.decodeIfPresent(Bool.self, forKey: .privileged)
        workingDir = try container.decodeIfPresent(String.self, forKey: .workingDir)
        environment = try node.optionalChild("environment")?.stringMap()
    }
}

/// A `pre_start` hook: an ephemeral container run to completion before the service's container
/// starts (compose-spec PR #647). Unlike the other hooks it may name its own image, and its
/// command is optional (the image's entrypoint may be the job). compose's normalization gives a
/// hook without an image the service's image.
public struct PreStartHook: Sendable, Hashable, Codable {
    public var command: [String]?
    /// The image of the ephemeral container; nil means the service's image.
    public var image: String?
    public var user: String?
    public var privileged: Bool?
    public var workingDir: String?
    public var environment: [String: String?]?
    /// Run once per replica (true) or once for the service before any replica starts.
    public var perReplica: Bool?

    public init(command: [String]? = nil, image: String? = nil) {
        self.command = command
        self.image = image
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case command, image, user, privileged
        case workingDir = "working_dir"
        case environment
        case perReplica = "per_replica"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let node = try NodeDecoder.of(decoder)
        command = try node.optionalChild("command")?.command()
        image = try container.decodeIfPresent(String.self, forKey: .image)
        user = try container.decodeIfPresent(String.self, forKey: .user)
        privileged = try container.decodeIfPresent(Bool.self, forKey: .privileged)
        workingDir = try container.decodeIfPresent(String.self, forKey: .workingDir)
        environment = try node.optionalChild("environment")?.stringMap()
        perReplica = try container.decodeIfPresent(Bool.self, forKey: .perReplica)
    }
}
