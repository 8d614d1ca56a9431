import YAML

/// `depends_on` entry in long form.
public struct ServiceDependency: Sendable, Hashable, Codable {
    public enum Condition: String, Sendable, Hashable, Codable, CaseIterable {
        case serviceStarted = "service_started"
        case serviceHealthy = "service_healthy"
        case serviceCompletedSuccessfully = "service_completed_successfully"
    }

    public var condition: Condition
    /// Recreate this service when the dependency is recreated.
    public var restart: Bool?
    /// A missing optional dependency is a warning, not an error.
    public var required: Bool

    public init(condition: Condition = .serviceStarted, restart: Bool? = nil, required: Bool = true) {
        self.condition = condition
        self.restart = restart
        self.required = required
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case condition, restart, required }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let node = try NodeDecoder.of(decoder)
        let conditionText = try container.decodeIfPresent(String.self, forKey: .condition) ?? "service_started"
        guard let condition = Condition(rawValue: conditionText) else {
            throw ComposeError(.invalidValue, at: node.node["condition"]?.location ?? node.node.location,
                               path: node.path.appending("condition").description,
                               "unknown condition \"\(conditionText)\" (expected one of \(Condition.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        self.condition = condition
        restart = try container.decodeIfPresent(Bool.self, forKey: .restart)
        required = try container.decodeIfPresent(Bool.self, forKey: .required) ?? true
    }
}

/// A service's attachment to a network.
public struct ServiceNetwork: Sendable, Hashable, Codable {
    public var aliases: [String]?
    public var driverOpts: [String: String]?
    public var gwPriority: Int?
    public var interfaceName: String?
    public var ipv4Address: String?
    public var ipv6Address: String?
    public var linkLocalIPs: [String]?
    public var macAddress: String?
    public var priority: Int?

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case aliases
        case driverOpts = "driver_opts"
        case gwPriority = "gw_priority"
        case interfaceName = "interface_name"
        case ipv4Address = "ipv4_address"
        case ipv6Address = "ipv6_address"
        case linkLocalIPs = "link_local_ips"
        case macAddress = "mac_address"
        case priority
    }
}

/// `healthcheck`. `test` is kept in list form (`["CMD-SHELL", "…"]`, `["CMD", …]`, `["NONE"]`).
public struct HealthCheck: Sendable, Hashable, Codable {
    public var test: [String]?
    public var timeout: ComposeDuration?
    public var interval: ComposeDuration?
    public var retries: Int?
    public var startPeriod: ComposeDuration?
    public var startInterval: ComposeDuration?
    public var disable: Bool?

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case test, timeout, interval, retries
        case startPeriod = "start_period"
        case startInterval = "start_interval"
        case disable
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let node = try NodeDecoder.of(decoder)
        if let testNode = node.node["test"], testNode.resolved != .null {
            let test = node.child(testNode, key: "test")
            if testNode.sequenceItems != nil {
                let items = try test.decode([String].self)
                if let first = items.first, !["CMD", "CMD-SHELL", "NONE"].contains(first) {
                    throw ComposeError(.invalidValue, at: testNode.location, path: test.path.description,
                                       "a list must start with \"CMD\", \"CMD-SHELL\" or \"NONE\", not \"\(first)\"")
                }
                self.test = items
            } else {
                self.test = ["CMD-SHELL", try test.string()]
            }
        }
        timeout = try Self.duration(node, "timeout")
        interval = try Self.duration(node, "interval")
        retries = try container.decodeIfPresent(Int.self, forKey: .retries)
        startPeriod = try Self.duration(node, "start_period")
        startInterval = try Self.duration(node, "start_interval")
        disable = try container.decodeIfPresent(Bool.self, forKey: .disable)
        if test == ["NONE"] { disable = true }
    }

    static func duration(_ decoder: NodeDecoder, _ key: String) throws -> ComposeDuration? {
        try decoder.optionalChild(key)?.duration()
    }
}

/// `ulimits` entry: a single number sets both limits.
public struct Ulimit: Sendable, Hashable, Codable {
    public var single: Int?
    public var soft: Int?
    public var hard: Int?

    public init(single: Int) { self.single = single }
    public init(soft: Int, hard: Int) { self.soft = soft; self.hard = hard }

    enum CodingKeys: String, CodingKey, CaseIterable { case soft, hard }

    public init(from decoder: any Decoder) throws {
        let node = try NodeDecoder.of(decoder)
        if node.node.mappingPairs == nil {
            single = try node.int()
            return
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let soft = try container.decode(Int.self, forKey: .soft)
        let hard = try container.decode(Int.self, forKey: .hard)
        if soft > hard {
            throw node.fail("soft limit \(soft) is greater than hard limit \(hard)")
        }
        self.soft = soft
        self.hard = hard
    }

    public func encode(to encoder: any Encoder) throws {
        if let single {
            var container = encoder.singleValueContainer()
            try container.encode(single)
        } else {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encodeIfPresent(soft, forKey: .soft)
            try container.encodeIfPresent(hard, forKey: .hard)
        }
    }

    /// The (soft, hard) pair the kernel gets.
    public var limits: (soft: Int, hard: Int) {
        if let single { return (single, single) }
        return (soft ?? 0, hard ?? 0)
    }
}

/// `logging`.
public struct LoggingConfig: Sendable, Hashable, Codable {
    public var driver: String?
    public var options: [String: String?]?

    enum CodingKeys: String, CodingKey, CaseIterable { case driver, options }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        driver = try container.decodeIfPresent(String.self, forKey: .driver)
        if let options = try NodeDecoder.of(decoder).optionalChild("options") {
            self.options = try options.stringMap()
        }
    }
}

/// A `secrets:` or `configs:` reference of a service, in long form.
public struct ServiceFileReference: Sendable, Hashable, Codable {
    public var source: String
    public var target: String?
    public var uid: String?
    public var gid: String?
    public var mode: String?

    public init(source: String) { self.source = source }

    enum CodingKeys: String, CodingKey, CaseIterable { case source, target, uid, gid, mode }

    public init(from decoder: any Decoder) throws {
        let node = try NodeDecoder.of(decoder)
        if node.node.mappingPairs == nil {
            source = try node.string()
            return
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        source = try container.decode(String.self, forKey: .source)
        target = try container.decodeIfPresent(String.self, forKey: .target)
        uid = try container.decodeIfPresent(String.self, forKey: .uid)
        gid = try container.decodeIfPresent(String.self, forKey: .gid)
        if let modeNode = node.optionalChild("mode") {
            // Octal as written (`0440`) is what users mean; YAML 1.2 reads 0440 as decimal 440.
            let text = try modeNode.string()
            if let value = Int(text, radix: 8) ?? (text.hasPrefix("0o") ? Int(text.dropFirst(2), radix: 8) : nil) {
                mode = "0" + String(value, radix: 8)
            } else {
                throw modeNode.fail("invalid file mode \"\(text)\" (expected octal, like 0440)")
            }
        }
    }
}

/// `env_file` entry in long form.
public struct EnvFileReference: Sendable, Hashable, Codable {
    public var path: String
    public var required: Bool?
    public var format: String?

    public init(path: String, required: Bool? = nil) {
        self.path = path
        self.required = required
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case path, required, format }

    public init(from decoder: any Decoder) throws {
        let node = try NodeDecoder.of(decoder)
        if node.node.mappingPairs == nil {
            path = try node.string()
            return
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        path = try container.decode(String.self, forKey: .path)
        let required = try container.decodeIfPresent(Bool.self, forKey: .required)
        self.required = required == false ? false : nil
        format = try container.decodeIfPresent(String.self, forKey: .format)
    }

    /// compose defaults `required` to true.
    public var isRequired: Bool { required ?? true }
}

/// `devices` entry in long form.
public struct DeviceMapping: Sendable, Hashable, Codable {
    public var source: String
    public var target: String
    public var permissions: String

    enum CodingKeys: String, CodingKey, CaseIterable { case source, target, permissions }

    public init(from decoder: any Decoder) throws {
        let node = try NodeDecoder.of(decoder)
        if node.node.mappingPairs != nil {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            source = try container.decode(String.self, forKey: .source)
            target = try container.decodeIfPresent(String.self, forKey: .target) ?? source
            permissions = try container.decodeIfPresent(String.self, forKey: .permissions) ?? "rwm"
            return
        }
        let parts = try node.string().split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        switch parts.count {
        case 1: (source, target, permissions) = (parts[0], parts[0], "rwm")
        case 2:
            if parts[1].allSatisfy({ "rwm".contains($0) }) && !parts[1].isEmpty {
                (source, target, permissions) = (parts[0], parts[0], parts[1])
            } else {
                (source, target, permissions) = (parts[0], parts[1], "rwm")
            }
        case 3: (source, target, permissions) = (parts[0], parts[1], parts[2])
        default: throw node.fail("invalid device \"\(parts.joined(separator: ":"))\" (expected HOST[:CONTAINER[:PERMISSIONS]])")
        }
        if source.isEmpty { throw node.fail("device has no host path") }
    }
}

extension NodeDecoder {
    /// The child at `key` when present and not null.
    func optionalChild(_ key: String) -> NodeDecoder? {
        guard let value = node[key], value.resolved != .null else { return nil }
        return child(value, key: key)
    }

    func duration() throws -> ComposeDuration {
        do { return try ComposeDuration(parsing: try string()) } catch let error as ComposeValueError {
            throw fail(error.message)
        }
    }

    func byteSize() throws -> ByteSize {
        do { return try ByteSize(parsing: try string()) } catch let error as ComposeValueError {
            throw fail(error.message)
        }
    }

    /// A list-or-dict value (`environment`, `labels`, `sysctls`, …) as a map with nil for
    /// value-less entries.
    func stringMap() throws -> [String: String?] {
        var map: [String: String?] = [:]
        for (key, value) in try listOrDict() { map[key] = .some(value) }
        return map
    }

    /// Like `stringMap()`, with value-less entries as empty strings (labels, sysctls).
    func stringMapNoNulls() throws -> [String: String] {
        var map: [String: String] = [:]
        for (key, value) in try listOrDict() { map[key] = value ?? "" }
        return map
    }

    /// A command in string form (split like a shell) or list form.
    func command() throws -> [String] {
        if node.sequenceItems != nil { return try decode([String].self) }
        do { return try ShellWords.split(try string()) } catch let error as ComposeValueError {
            throw fail(error.message)
        }
    }
}

/// `credential_spec` (Windows group managed service accounts; carried, not acted on).
public struct CredentialSpec: Sendable, Hashable, Codable {
    /// The name of a top-level `configs` entry holding the spec.
    public var config: String?
    public var file: String?
    public var registry: String?

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable { case config, file, registry }
}

/// `provider`: a service that an external tool sets up instead of a container.
public struct ServiceProvider: Sendable, Hashable, Codable {
    public var type: String
    /// Options in compose-go's canonical form: every value a list (`key: v` is `key: [v]`).
    public var options: [String: [String]]?

    public init(type: String, options: [String: [String]]? = nil) {
        self.type = type
        self.options = options
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case type, options }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let node = try NodeDecoder.of(decoder)
        type = try container.decode(String.self, forKey: .type)
        guard let optionsNode = node.optionalChild("options") else { return }
        guard let pairs = optionsNode.node.mappingPairs else { throw optionsNode.typeMismatch("a mapping") }
        var options: [String: [String]] = [:]
        for pair in pairs {
            let key = pair.key.scalarText ?? ""
            let value = optionsNode.child(pair.value, key: key)
            if pair.value.mappingPairs != nil {
                throw value.typeMismatch("a string, number, boolean or a list of them")
            }
            options[key] = try value.stringOrList()
        }
        self.options = options
    }
}

/// A service's use of a top-level model: the variables that carry its endpoint and name.
public struct ServiceModel: Sendable, Hashable, Codable {
    public var endpointVar: String?
    public var modelVar: String?

    public init(endpointVar: String? = nil, modelVar: String? = nil) {
        self.endpointVar = endpointVar
        self.modelVar = modelVar
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case endpointVar = "endpoint_var"
        case modelVar = "model_var"
    }
}

/// `cpu_rt_period` / `cpu_rt_runtime` in microseconds, what the kernel's
/// `cpu.rt_period_us` and `cpu.rt_runtime_us` take. Written as an integer (microseconds) or a
/// duration (`1s`, `950ms`); prints as the integer.
public struct RealtimeMicroseconds: Sendable, Hashable, Codable {
    public var microseconds: Int

    public init(microseconds: Int) { self.microseconds = microseconds }

    public init(from decoder: any Decoder) throws {
        let node = try NodeDecoder.of(decoder)
        if let value = try? node.int() {
            microseconds = value
            return
        }
        guard node.node.scalarText != nil else { throw node.typeMismatch("microseconds or a duration") }
        let duration = try node.duration()
        guard duration.nanoseconds % 1_000 == 0 else {
            throw node.fail("\(duration) is not a whole number of microseconds")
        }
        microseconds = Int(duration.nanoseconds / 1_000)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(microseconds)
    }
}

extension NodeDecoder {
    /// `models` in list form (names) or map form (name → variables), as a map.
    func serviceModels() throws -> [String: ServiceModel?] { try namedMap(ServiceModel.self) }
}
