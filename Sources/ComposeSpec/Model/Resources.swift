import YAML

/// A top-level `networks` entry.
public struct NetworkDefinition: Sendable, Hashable, Codable {
    public var name: String?
    public var driver: String?
    public var driverOpts: [String: String]?
    public var ipam: IPAM?
    public var external: Bool?
    public var internalOnly: Bool?
    public var attachable: Bool?
    public var enableIPv4: Bool?
    public var enableIPv6: Bool?
    public var labels: [String: String]?
    public var extensions: [String: ComposeValue] = [:]

    public init(name: String? = nil) { self.name = name }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, driver
        case driverOpts = "driver_opts"
        case ipam, external
        case internalOnly = "internal"
        case attachable
        case enableIPv4 = "enable_ipv4"
        case enableIPv6 = "enable_ipv6"
        case labels
    }

    public init(from decoder: any Decoder) throws {
        let node = try NodeDecoder.of(decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        driver = try c.decodeIfPresent(String.self, forKey: .driver)
        driverOpts = try node.optionalChild("driver_opts")?.stringMapNoNulls()
        ipam = try c.decodeIfPresent(IPAM.self, forKey: .ipam)
        (external, name) = try node.external(name: name)
        internalOnly = try c.decodeIfPresent(Bool.self, forKey: .internalOnly)
        attachable = try c.decodeIfPresent(Bool.self, forKey: .attachable)
        enableIPv4 = try c.decodeIfPresent(Bool.self, forKey: .enableIPv4)
        enableIPv6 = try c.decodeIfPresent(Bool.self, forKey: .enableIPv6)
        labels = try node.optionalChild("labels")?.stringMapNoNulls()
        extensions = try node.extensions()
        if external == true {
            try node.onlyWithExternal(allowed: ["name", "external"])
        }
    }

    public struct IPAM: Sendable, Hashable, Codable {
        public var driver: String?
        public var config: [Pool]?
        public var options: [String: String]?
        enum CodingKeys: String, CodingKey, CaseIterable { case driver, config, options }

        public struct Pool: Sendable, Hashable, Codable {
            public var subnet: String?
            public var gateway: String?
            public var ipRange: String?
            public var auxAddresses: [String: String]?
            enum CodingKeys: String, CodingKey, CaseIterable {
                case subnet, gateway
                case ipRange = "ip_range"
                case auxAddresses = "aux_addresses"
            }
        }
    }
}

/// A top-level `volumes` entry.
public struct VolumeDefinition: Sendable, Hashable, Codable {
    public var name: String?
    public var driver: String?
    public var driverOpts: [String: String]?
    public var external: Bool?
    public var labels: [String: String]?
    public var extensions: [String: ComposeValue] = [:]

    public init(name: String? = nil) { self.name = name }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, driver
        case driverOpts = "driver_opts"
        case external, labels
    }

    public init(from decoder: any Decoder) throws {
        let node = try NodeDecoder.of(decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        driver = try c.decodeIfPresent(String.self, forKey: .driver)
        driverOpts = try node.optionalChild("driver_opts")?.stringMapNoNulls()
        (external, name) = try node.external(name: name)
        labels = try node.optionalChild("labels")?.stringMapNoNulls()
        extensions = try node.extensions()
        if external == true {
            try node.onlyWithExternal(allowed: ["name", "external"])
        }
    }
}

/// A top-level `secrets` or `configs` entry.
public struct FileObjectDefinition: Sendable, Hashable, Codable {
    public var name: String?
    public var file: String?
    public var environment: String?
    public var content: String?
    public var external: Bool?
    public var labels: [String: String]?
    public var driver: String?
    public var driverOpts: [String: String]?
    public var templateDriver: String?
    public var extensions: [String: ComposeValue] = [:]

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, file, environment, content, external, labels, driver
        case driverOpts = "driver_opts"
        case templateDriver = "template_driver"
    }

    public init(from decoder: any Decoder) throws {
        let node = try NodeDecoder.of(decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        file = try c.decodeIfPresent(String.self, forKey: .file)
        environment = try c.decodeIfPresent(String.self, forKey: .environment)
        content = try c.decodeIfPresent(String.self, forKey: .content)
        (external, name) = try node.external(name: name)
        labels = try node.optionalChild("labels")?.stringMapNoNulls()
        driver = try c.decodeIfPresent(String.self, forKey: .driver)
        driverOpts = try node.optionalChild("driver_opts")?.stringMapNoNulls()
        templateDriver = try c.decodeIfPresent(String.self, forKey: .templateDriver)
        extensions = try node.extensions()
        let sources = [file, environment, content].compactMap { $0 }.count + (external == true ? 1 : 0)
        if sources > 1 {
            throw node.fail(.conflict, "use only one of file, environment, content and external")
        }
        if sources == 0 && driver == nil {
            throw node.fail(.missingKey, "needs one of file, environment, content or external")
        }
    }
}

extension NodeDecoder {
    /// `external: true`, or the legacy `external: {name: x}`, which sets the name.
    func external(name: String?) throws -> (Bool?, String?) {
        guard let value = optionalChild("external") else { return (nil, name) }
        if value.node.mappingPairs != nil {
            let legacyName = try value.optionalChild("name")?.string()
            if let name, let legacyName, name != legacyName {
                throw value.fail(.conflict, "external.name \"\(legacyName)\" and name \"\(name)\" differ")
            }
            return (true, legacyName ?? name)
        }
        return (try value.bool(), name)
    }

    /// External resources are created elsewhere: only their name may be set.
    func onlyWithExternal(allowed: Set<String>) throws {
        for pair in node.mappingPairs ?? [] {
            guard let key = pair.key.scalarText, !allowed.contains(key), !key.hasPrefix("x-") else { continue }
            throw ComposeError(.conflict, at: pair.key.location, path: path.description,
                               "\"\(key)\" cannot be set on an external resource")
        }
    }
}
