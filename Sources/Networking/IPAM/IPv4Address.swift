/// An IPv4 address, parsed once at the edge from dotted-quad text.
public struct IPv4Address: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    /// The address as a host-order integer (`10.89.0.1` is `0x0A59_0001`).
    public var value: UInt32

    public init(_ value: UInt32) { self.value = value }

    /// Parses `a.b.c.d`; nil for anything else (no leading zeros, no shorthand).
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy(\.isASCII), let byte = UInt8(part),
                  part == "0" || !part.hasPrefix("0") else { return nil }
            value = value << 8 | UInt32(byte)
        }
        self.value = value
    }

    /// Network byte order, as netlink and sockets want it.
    public var bytes: [UInt8] { [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)] }

    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 4 else { return nil }
        self.value = bytes.reduce(0) { $0 << 8 | UInt32($1) }
    }

    public var description: String { bytes.map(String.init).joined(separator: ".") }

    public static func < (lhs: IPv4Address, rhs: IPv4Address) -> Bool { lhs.value < rhs.value }
}

/// An IPv4 network in CIDR form (`10.89.0.0/24`), always stored with its host bits cleared.
public struct IPv4Subnet: Sendable, Hashable, Codable, CustomStringConvertible {
    public var network: IPv4Address
    public var prefixLength: Int

    /// The subnet containing `address` with `prefixLength` bits of network part.
    public init(_ address: IPv4Address, prefixLength: Int) {
        let length = max(0, min(32, prefixLength))
        self.prefixLength = length
        network = IPv4Address(address.value & Self.mask(length))
    }

    /// Parses `a.b.c.d/n`. Host bits set (`10.0.0.1/24`) are refused, as docker refuses them,
    /// because the writer likely meant a gateway.
    public init(parsing text: String) throws(NetworkingError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = IPv4Address(String(parts[0])), let length = Int(parts[1]), (0...32).contains(length) else {
            throw NetworkingError(.invalidAddress, object: "subnet \(text)", "expected an IPv4 subnet like 10.89.0.0/24")
        }
        self.init(address, prefixLength: length)
        if network != address {
            throw NetworkingError(.invalidAddress, object: "subnet \(text)", "host bits are set: did you mean \(self)?")
        }
    }

    static func mask(_ length: Int) -> UInt32 { length == 0 ? 0 : UInt32.max << (32 - UInt32(length)) }

    public var mask: UInt32 { Self.mask(prefixLength) }
    public var first: IPv4Address { network }
    public var last: IPv4Address { IPv4Address(network.value | ~mask) }
    public var description: String { "\(network)/\(prefixLength)" }

    public func contains(_ address: IPv4Address) -> Bool { address.value & mask == network.value }

    /// Whether the two share any address (one contains the other's network).
    public func overlaps(_ other: IPv4Subnet) -> Bool { contains(other.network) || other.contains(network) }

    /// Whether every address of `other` is in this subnet.
    public func contains(_ other: IPv4Subnet) -> Bool { other.prefixLength >= prefixLength && contains(other.network) }
}
