/// A network interface as the kernel lists it.
public struct Link: Sendable, Hashable, Codable {
    public var index: Int32
    public var name: String
    /// `IFLA_INFO_KIND`: `bridge`, `veth`, …; nil for physical devices and loopback.
    public var kind: String?
    /// The index of the bridge this link is enslaved to.
    public var master: Int32?
    public var mtu: UInt32?
    /// The hardware address (`02:42:0a:59:00:02`), when the link has one.
    public var macAddress: String?
    /// `IFF_UP` is set.
    public var isUp: Bool

    public init(index: Int32, name: String, kind: String? = nil, master: Int32? = nil, mtu: UInt32? = nil,
                macAddress: String? = nil, isUp: Bool = false) {
        self.index = index
        self.name = name
        self.kind = kind
        self.master = master
        self.mtu = mtu
        self.macAddress = macAddress
        self.isUp = isUp
    }
}

/// An address assigned to a link.
public struct LinkAddress: Sendable, Hashable, Codable {
    public var linkIndex: Int32
    /// `AF_INET` or `AF_INET6`.
    public var family: Int32
    /// The address in network byte order (4 or 16 bytes).
    public var address: [UInt8]
    public var prefixLength: Int

    public init(linkIndex: Int32, family: Int32, address: [UInt8], prefixLength: Int) {
        self.linkIndex = linkIndex
        self.family = family
        self.address = address
        self.prefixLength = prefixLength
    }

    /// The IPv4 subnet this address sits in, nil for IPv6.
    public var ipv4Subnet: IPv4Subnet? {
        IPv4Address(bytes: address).map { IPv4Subnet($0, prefixLength: prefixLength) }
    }

    /// The IPv6 subnet this address sits in, nil for IPv4.
    public var ipv6Subnet: IPv6Subnet? {
        IPv6Address(bytes: address).map { IPv6Subnet($0, prefixLength: prefixLength) }
    }
}

/// A route of the main table.
public struct Route: Sendable, Hashable, Codable {
    public var family: Int32
    /// The destination in network byte order; empty with `prefixLength` 0 for the default route.
    public var destination: [UInt8]
    public var prefixLength: Int
    public var gateway: [UInt8]?
    public var outputLink: Int32?

    public init(family: Int32, destination: [UInt8], prefixLength: Int, gateway: [UInt8]? = nil, outputLink: Int32? = nil) {
        self.family = family
        self.destination = destination
        self.prefixLength = prefixLength
        self.gateway = gateway
        self.outputLink = outputLink
    }

    public var isDefault: Bool { prefixLength == 0 }

    /// The IPv6 destination subnet, nil for IPv4.
    public var ipv6Subnet: IPv6Subnet? {
        guard family == AF_INET6_VALUE else { return nil }
        let bytes = destination.isEmpty ? [UInt8](repeating: 0, count: 16) : destination
        return IPv6Address(bytes: bytes).map { IPv6Subnet($0, prefixLength: prefixLength) }
    }

    /// The IPv4 destination subnet, nil for IPv6.
    public var ipv4Subnet: IPv4Subnet? {
        guard family == AF_INET_VALUE else { return nil }
        let bytes = destination.isEmpty ? [0, 0, 0, 0] : destination
        return IPv4Address(bytes: bytes).map { IPv4Subnet($0, prefixLength: prefixLength) }
    }
}

/// AF_INET and AF_INET6 as Int32, the type netlink carries them in.
public let AF_INET_VALUE: Int32 = 2
public let AF_INET6_VALUE: Int32 = 10
