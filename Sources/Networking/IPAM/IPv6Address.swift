#if canImport(Glibc)
import Glibc
#endif

/// An IPv6 address, parsed once at the edge (with inet_pton, so every textual form the C
/// library accepts) and printed in the canonical compressed form (RFC 5952).
public struct IPv6Address: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Network byte order.
    public var bytes: [UInt8]

    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        self.bytes = Array(bytes)
    }

    /// For bytes this file made itself, always 16 of them.
    init(sixteen bytes: [UInt8]) { self.bytes = bytes }

    public init?(_ text: String) {
        var raw = in6_addr()
        guard inet_pton(AF_INET6, text, &raw) == 1 else { return nil }
        bytes = withUnsafeBytes(of: raw) { Array($0) }
    }

    public var description: String {
        var raw = in6_addr()
        withUnsafeMutableBytes(of: &raw) { target in
            for (index, byte) in bytes.enumerated() { target[index] = byte }
        }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(AF_INET6, &raw, &buffer, socklen_t(buffer.count)) != nil else { return "::" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// An IPv6 network in CIDR form (`fd12:3456:789a::/64`), stored with its host bits cleared.
public struct IPv6Subnet: Sendable, Hashable, Codable, CustomStringConvertible {
    public var network: IPv6Address
    public var prefixLength: Int

    public init(_ address: IPv6Address, prefixLength: Int) {
        let length = max(0, min(128, prefixLength))
        self.prefixLength = length
        network = IPv6Address(sixteen: Self.masked(address.bytes, length))
    }

    /// Parses `address/n`; host bits set are refused, as for IPv4.
    public init(parsing text: String) throws(NetworkingError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = IPv6Address(String(parts[0])), let length = Int(parts[1]), (0...128).contains(length) else {
            throw NetworkingError(.invalidAddress, object: "subnet \(text)", "expected an IPv6 subnet like fd00:1:2::/64")
        }
        self.init(address, prefixLength: length)
        if network != address {
            throw NetworkingError(.invalidAddress, object: "subnet \(text)", "host bits are set: did you mean \(self)?")
        }
    }

    /// A unique local /64 (RFC 4193, `fdXX:XXXX:XXXX::/64`) whose 40-bit global ID comes from
    /// `seed` (a network's name): the same network gets the same subnet every time.
    public static func uniqueLocal(seed: String) -> IPv6Subnet {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in seed.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        var bytes = [UInt8](repeating: 0, count: 16)
        bytes[0] = 0xfd
        for index in 1...5 { bytes[index] = UInt8(truncatingIfNeeded: hash >> (8 * UInt64(index - 1))) }
        return IPv6Subnet(IPv6Address(sixteen: bytes), prefixLength: 64)
    }

    /// The address `suffix` (host part, in the low bits) inside this subnet.
    public func address(suffix: UInt64) -> IPv6Address {
        var bytes = network.bytes
        for index in 0..<8 where (15 - index) * 8 >= prefixLength {
            bytes[15 - index] |= UInt8(truncatingIfNeeded: suffix >> (8 * UInt64(index)))
        }
        return IPv6Address(sixteen: bytes)
    }

    public func contains(_ address: IPv6Address) -> Bool { Self.masked(address.bytes, prefixLength) == network.bytes }

    public func overlaps(_ other: IPv6Subnet) -> Bool { contains(other.network) || other.contains(network) }

    public var description: String { "\(network)/\(prefixLength)" }

    static func masked(_ bytes: [UInt8], _ length: Int) -> [UInt8] {
        bytes.enumerated().map { index, byte in
            let bits = max(0, min(8, length - index * 8))
            return bits == 8 ? byte : byte & UInt8(truncatingIfNeeded: 0xff << (8 - bits))
        }
    }
}
