/// Chooses subnets for new networks and addresses for new attachments. Pure: what is in use is
/// passed in (the engine reads it from the host's routes and addresses and from its own store),
/// so the rules are tested without a kernel and the engine decides where leases live.
public struct IPAllocator: Sendable, Hashable {
    /// Where automatic subnets come from: /24s upward from 10.89.0.0, as podman does, to
    /// 10.255.255.0. Private (RFC 1918) space, and large enough that a host with many routes
    /// still has room.
    public static let defaultPool = IPv4Subnet(IPv4Address(0x0A59_0000), prefixLength: 16)
    public static let defaultPoolEnd = IPv4Address(0x0AFF_FF00)

    public init() {}

    /// The first /24 from 10.89.0.0 upward that overlaps none of `inUse`.
    public func subnet(avoiding inUse: [IPv4Subnet]) throws(NetworkingError) -> IPv4Subnet {
        var candidate = Self.defaultPool.network.value
        while candidate <= Self.defaultPoolEnd.value {
            let subnet = IPv4Subnet(IPv4Address(candidate), prefixLength: 24)
            if let blocker = inUse.first(where: { $0.overlaps(subnet) }) {
                // Jump past the blocker when it is larger than a /24 (a /16 route, say).
                let next = blocker.last.value &+ 1
                candidate = max(candidate + 256, next & ~0xff)
                if next == 0 { break }
                continue
            }
            return subnet
        }
        throw NetworkingError(.exhausted, object: "subnet pool 10.89.0.0-10.255.255.0",
                              "every /24 overlaps a route, an address or another network: set ipam.config subnet explicitly or remove unused networks")
    }

    /// The gateway of `subnet`: `gateway` when given (it must be inside and not the network or
    /// broadcast address), else the first host address, as docker does.
    public func gateway(_ gateway: IPv4Address?, in subnet: IPv4Subnet) throws(NetworkingError) -> IPv4Address {
        guard let gateway else {
            guard subnet.prefixLength <= 30 else {
                throw NetworkingError(.invalidAddress, object: "subnet \(subnet)", "too small for a gateway and a container: use /30 or larger")
            }
            return IPv4Address(subnet.network.value + 1)
        }
        guard isHost(gateway, in: subnet) else {
            throw NetworkingError(.invalidAddress, object: "gateway \(gateway)", "not a host address of subnet \(subnet)")
        }
        return gateway
    }

    /// An address for an attachment.
    ///
    /// - Parameters:
    ///   - fixed: `ipv4_address`: must be a free host address of the subnet, else an error.
    ///   - preferred: the address this owner had last time (its lease): used when still free,
    ///     so an address is stable across `up` runs and recreates.
    ///   - range: `ipam.config[].ip_range`: automatic addresses come from it only.
    ///   - taken: addresses held by live attachments (the gateway is always taken).
    ///   - reserved: addresses other owners held before: skipped while any other is free, so a
    ///     stopped container usually gets its address back.
    public func address(in subnet: IPv4Subnet, gateway: IPv4Address, range: IPv4Subnet? = nil, fixed: IPv4Address? = nil,
                        preferred: IPv4Address? = nil, taken: Set<IPv4Address>, reserved: Set<IPv4Address> = []) throws(NetworkingError) -> IPv4Address {
        if let fixed {
            guard isHost(fixed, in: subnet) else {
                throw NetworkingError(.invalidAddress, object: "ipv4_address \(fixed)", "not a host address of subnet \(subnet)")
            }
            if fixed == gateway || taken.contains(fixed) {
                throw NetworkingError(.conflict, object: "ipv4_address \(fixed)", "the address is in use on \(subnet): choose another")
            }
            return fixed
        }
        let pool = range ?? subnet
        if let range, !subnet.contains(range) {
            throw NetworkingError(.invalidAddress, object: "ip_range \(range)", "not inside subnet \(subnet)")
        }
        if let preferred, pool.contains(preferred), isHost(preferred, in: subnet), preferred != gateway, !taken.contains(preferred) {
            return preferred
        }
        var fallback: IPv4Address?
        var value = pool.first.value
        while value <= pool.last.value {
            let candidate = IPv4Address(value)
            if isHost(candidate, in: subnet), candidate != gateway, !taken.contains(candidate) {
                if !reserved.contains(candidate) { return candidate }
                if fallback == nil { fallback = candidate }
            }
            if value == UInt32.max { break }
            value += 1
        }
        if let fallback { return fallback }
        throw NetworkingError(.exhausted, object: "subnet \(pool)", "no free address left: remove containers or use a larger subnet")
    }

    /// One IPv4 pool of a network with several `ipam.config` entries.
    public struct Pool: Sendable, Hashable {
        public var subnet: IPv4Subnet
        public var gateway: IPv4Address
        public var range: IPv4Subnet?

        public init(subnet: IPv4Subnet, gateway: IPv4Address, range: IPv4Subnet? = nil) {
            self.subnet = subnet
            self.gateway = gateway
            self.range = range
        }
    }

    /// An address from a network's `pools` and the index of the pool it is in: `fixed` in
    /// whichever pool holds it; else `preferred` when still free in its pool; else the first
    /// pool with an address nobody held, then the first with any free address (docker fills
    /// its pools in order too).
    public func address(in pools: [Pool], fixed: IPv4Address? = nil, preferred: IPv4Address? = nil,
                        taken: Set<IPv4Address>, reserved: Set<IPv4Address> = []) throws(NetworkingError) -> (pool: Int, address: IPv4Address) {
        let names = pools.map(\.subnet.description).joined(separator: ", ")
        if let fixed {
            guard let index = pools.firstIndex(where: { $0.subnet.contains(fixed) }) else {
                throw NetworkingError(.invalidAddress, object: "ipv4_address \(fixed)", "not an address of the network's subnets (\(names))")
            }
            let pool = pools[index]
            return (index, try address(in: pool.subnet, gateway: pool.gateway, range: pool.range, fixed: fixed, taken: taken))
        }
        if let preferred, let index = pools.firstIndex(where: { $0.subnet.contains(preferred) }) {
            let pool = pools[index]
            let chosen = try? address(in: pool.subnet, gateway: pool.gateway, range: pool.range, preferred: preferred, taken: taken)
            if chosen == preferred { return (index, preferred) }
        }
        for avoidReserved in [true, false] {
            for (index, pool) in pools.enumerated() {
                do throws(NetworkingError) {
                    let chosen = try address(in: pool.subnet, gateway: pool.gateway, range: pool.range,
                                             taken: avoidReserved ? taken.union(reserved) : taken, reserved: reserved)
                    return (index, chosen)
                } catch where error.code == .exhausted {}
            }
        }
        throw NetworkingError(.exhausted, object: "subnets \(names)", "no free address left: remove containers or add a larger subnet")
    }

    /// Not the network or broadcast address (both are hosts in /31 and /32, RFC 3021).
    private func isHost(_ address: IPv4Address, in subnet: IPv4Subnet) -> Bool {
        guard subnet.contains(address) else { return false }
        if subnet.prefixLength >= 31 { return true }
        return address != subnet.first && address != subnet.last
    }
}
