import YAML

/// A request for devices of a driver (`gpus` entries, `deploy.resources.reservations.devices`).
/// Keys print in compose-go's order.
public struct DeviceRequest: Sendable, Hashable, Codable {
    /// How many devices: all of them, or a number. Prints as `all` or the number (compose-go
    /// prints all as -1, which it also reads; `all` says what it means).
    public enum Count: Sendable, Hashable, Codable {
        case all
        case exactly(Int)

        /// `all`, or a number; compose-go also reads `-1` as all.
        init(decoding node: NodeDecoder) throws {
            if case .string(let text) = node.node.resolved, text.lowercased() == "all" {
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
    /// Nil together with no `device_ids` means all devices (compose's default).
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

extension NodeDecoder {
    /// `gpus`: `all` (one request for every GPU, compose-go's canonical form of it) or a list of
    /// device requests.
    func gpus() throws -> [DeviceRequest] {
        if node.sequenceItems != nil { return try decode([DeviceRequest].self) }
        guard node.mappingPairs == nil, let text = try? string() else {
            throw typeMismatch("\"all\" or a list of device requests")
        }
        guard text.lowercased() == "all" else {
            throw fail("invalid gpus \"\(text)\" (expected \"all\" or a list of device requests)")
        }
        return [DeviceRequest(count: .all)]
    }
}
