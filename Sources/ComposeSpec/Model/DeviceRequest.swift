import YAML

/// A request for devices of a driver (`gpus` entries, `deploy.resources.reservations.devices`).
/// Keys print in compose-go's order.
public struct DeviceRequest: Sendable, Hashable, Codable {
    /// How many devices: all of them, or a number.
    public enum Count: Sendable, Hashable, Codable {
        case all
        case exactly(Int)

        /// `all`, or a number; compose-go also reads `-1` as all.
        init(decoding node: NodeDecoder) throws {
            if case .string(let text) = node.node.resolved, text == "all" {
                self = .all
                return
            }
            let count: Int
            do { count = try node.int() } catch {
                throw node.fail("invalid count \"\(node.node.scalarText ?? node.node.kindDescription)\" (expected \"all\" or a number of devices)")
            }
            if count == -1 { self = .all; return }
            guard count >= 0 else { throw node.fail("invalid count \(count) (expected \"all\" or a number of devices)") }
            self = .exactly(count)
        }

        public init(from decoder: any Decoder) throws {
            self = try Count(decoding: try NodeDecoder.of(decoder))
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .all: try container.encode("all")
            case .exactly(let count): try container.encode(count)
            }
        }
    }

    public var capabilities: [String]?
    public var driver: String?
    public var count: Count?
    public var deviceIDs: [String]?
    public var options: [String: String]?

    public init(capabilities: [String]? = nil, driver: String? = nil, count: Count? = nil, deviceIDs: [String]? = nil) {
        self.capabilities = capabilities
        self.driver = driver
        self.count = count
        self.deviceIDs = deviceIDs
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case capabilities, driver, count
        case deviceIDs = "device_ids"
        case options
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let node = try NodeDecoder.of(decoder)
        capabilities = try container.decodeIfPresent([String].self, forKey: .capabilities)
        driver = try container.decodeIfPresent(String.self, forKey: .driver)
        count = try node.optionalChild("count").map(Count.init(decoding:))
        deviceIDs = try container.decodeIfPresent([String].self, forKey: .deviceIDs)
        options = try node.optionalChild("options")?.stringMapNoNulls()
        // Docker picks devices either by number or by ID; compose-go refuses both at once.
        if let count, count != .exactly(0), deviceIDs?.isEmpty == false {
            throw node.fail(.conflict, "count and device_ids cannot be used together")
        }
    }
}

/// `gpus`: all of the host's GPUs, or a list of device requests.
public enum GPUs: Sendable, Hashable, Codable {
    case all
    case devices([DeviceRequest])

    public init(from decoder: any Decoder) throws {
        let node = try NodeDecoder.of(decoder)
        if node.node.sequenceItems != nil {
            self = .devices(try node.decode([DeviceRequest].self))
            return
        }
        guard node.node.mappingPairs == nil, let text = try? node.string() else {
            throw node.typeMismatch("\"all\" or a list of device requests")
        }
        guard text == "all" else {
            throw node.fail("invalid gpus \"\(text)\" (expected \"all\" or a list of device requests)")
        }
        self = .all
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .all: try container.encode("all")
        case .devices(let requests): try container.encode(requests)
        }
    }
}
