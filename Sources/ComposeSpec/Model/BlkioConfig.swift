import YAML

/// `blkio_config`: block IO weights and throttles (cgroup `io.weight`, `io.max`).
public struct BlkioConfig: Sendable, Hashable, Codable {
    /// Relative weight, 10 to 1000.
    public var weight: Int?
    public var weightDevice: [WeightDevice]?
    public var deviceReadBps: [ThrottleDevice]?
    public var deviceReadIOps: [ThrottleDevice]?
    public var deviceWriteBps: [ThrottleDevice]?
    public var deviceWriteIOps: [ThrottleDevice]?

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case weight
        case weightDevice = "weight_device"
        case deviceReadBps = "device_read_bps"
        case deviceReadIOps = "device_read_iops"
        case deviceWriteBps = "device_write_bps"
        case deviceWriteIOps = "device_write_iops"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let node = try NodeDecoder.of(decoder)
        weight = try node.optionalChild("weight")?.blkioWeight()
        weightDevice = try container.decodeIfPresent([WeightDevice].self, forKey: .weightDevice)
        deviceReadBps = try container.decodeIfPresent([ThrottleDevice].self, forKey: .deviceReadBps)
        deviceReadIOps = try container.decodeIfPresent([ThrottleDevice].self, forKey: .deviceReadIOps)
        deviceWriteBps = try container.decodeIfPresent([ThrottleDevice].self, forKey: .deviceWriteBps)
        deviceWriteIOps = try container.decodeIfPresent([ThrottleDevice].self, forKey: .deviceWriteIOps)
    }

    /// `weight_device` entry.
    public struct WeightDevice: Sendable, Hashable, Codable {
        public var path: String
        public var weight: Int

        public init(path: String, weight: Int) {
            self.path = path
            self.weight = weight
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case path, weight }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let node = try NodeDecoder.of(decoder)
            path = try container.decode(String.self, forKey: .path)
            guard let weightNode = node.optionalChild("weight") else {
                throw node.fail(.missingKey, "missing required key \"weight\"")
            }
            weight = try weightNode.blkioWeight()
        }
    }

    /// A `device_*_bps` or `device_*_iops` entry. The rate reads as compose-go's `UnitBytes`
    /// for all four lists (so `1024k` is 1048576, also for IO per second), and prints as digits.
    public struct ThrottleDevice: Sendable, Hashable, Codable {
        public var path: String
        public var rate: ByteSize

        public init(path: String, rate: ByteSize) {
            self.path = path
            self.rate = rate
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case path, rate }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let node = try NodeDecoder.of(decoder)
            path = try container.decode(String.self, forKey: .path)
            guard let rateNode = node.optionalChild("rate") else {
                throw node.fail(.missingKey, "missing required key \"rate\"")
            }
            rate = try rateNode.byteSize()
            if rate.bytes < 0 { throw rateNode.fail("rate must not be negative") }
        }
    }
}

extension NodeDecoder {
    /// A block IO weight: the kernel takes 10 to 1000 (0 leaves the default, as in docker).
    func blkioWeight() throws -> Int {
        let value = try int()
        guard value == 0 || (10...1000).contains(value) else {
            throw fail("invalid weight \(value) (expected 10 to 1000)")
        }
        return value
    }
}
