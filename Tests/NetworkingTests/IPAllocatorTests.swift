import Networking
import Testing

@Suite("IP allocation")
struct IPAllocatorTests {
    static func subnet(_ text: String) -> IPv4Subnet {
        (try? IPv4Subnet(parsing: text)) ?? IPv4Subnet(IPv4Address(0), prefixLength: 32)
    }

    static func address(_ text: String) -> IPv4Address? { IPv4Address(text) }

    @Test("IPv4 text parses only as a dotted quad", arguments: [
        ("10.89.0.1", "10.89.0.1"), ("0.0.0.0", "0.0.0.0"), ("255.255.255.255", "255.255.255.255"),
        ("10.89.0", nil), ("10.89.0.256", nil), ("10.089.0.1", nil), ("a.b.c.d", nil), ("10.89.0.1.2", nil), ("", nil),
    ] as [(String, String?)])
    func parsesAddresses(text: String, expected: String?) {
        #expect(IPv4Address(text)?.description == expected)
    }

    @Test("a subnet with host bits set is refused and names the subnet it meant")
    func hostBits() {
        #expect(throws: NetworkingError.self) { try IPv4Subnet(parsing: "10.89.0.1/24") }
        do {
            _ = try IPv4Subnet(parsing: "10.89.0.1/24")
        } catch {
            #expect(error.code == .invalidAddress)
            #expect(error.message.contains("10.89.0.0/24"))
        }
        #expect(throws: NetworkingError.self) { try IPv4Subnet(parsing: "10.89.0.0/33") }
        #expect(Self.subnet("172.20.0.0/16").last.description == "172.20.255.255")
    }

    @Test("an automatic subnet avoids every subnet in use, jumping past larger ones", arguments: [
        ([], "10.89.0.0/24"),
        (["10.89.0.0/24"], "10.89.1.0/24"),
        (["10.89.0.0/24", "10.89.1.0/24", "10.89.3.0/24"], "10.89.2.0/24"),
        (["10.89.0.0/16"], "10.90.0.0/24"),
        (["10.0.0.0/8"], nil),
        (["10.89.0.7/32"], "10.89.1.0/24"),
        (["192.168.0.0/16", "10.89.0.0/23"], "10.89.2.0/24"),
    ] as [([String], String?)])
    func choosesSubnet(inUse: [String], expected: String?) {
        let chosen = try? IPAllocator().subnet(avoiding: inUse.map(Self.subnet))
        #expect(chosen?.description == expected)
    }

    @Test("the gateway is the first host unless ipam.config names one inside the subnet")
    func gateway() throws {
        let allocator = IPAllocator()
        let subnet = Self.subnet("10.89.4.0/24")
        #expect(try allocator.gateway(nil, in: subnet).description == "10.89.4.1")
        #expect(try allocator.gateway(Self.address("10.89.4.254"), in: subnet).description == "10.89.4.254")
        #expect(throws: NetworkingError.self) { try allocator.gateway(Self.address("10.89.5.1"), in: subnet) }
        #expect(throws: NetworkingError.self) { try allocator.gateway(Self.address("10.89.4.255"), in: subnet) }
    }

    struct AddressCase: Sendable, CustomTestStringConvertible {
        var label: String
        var range: String? = nil
        var fixed: String? = nil
        var preferred: String? = nil
        var taken: [String] = []
        var reserved: [String] = []
        var expected: String?
        var testDescription: String { label }
    }

    @Test("addresses: fixed, preferred (the lease), range, taken and reserved", arguments: [
        AddressCase(label: "first free host after the gateway", expected: "10.89.0.2"),
        AddressCase(label: "taken addresses are skipped", taken: ["10.89.0.2", "10.89.0.3"], expected: "10.89.0.4"),
        AddressCase(label: "the lease comes back when free", preferred: "10.89.0.9", expected: "10.89.0.9"),
        AddressCase(label: "a lease now taken is not used", preferred: "10.89.0.9", taken: ["10.89.0.9"], expected: "10.89.0.2"),
        AddressCase(label: "other owners' old leases are kept for them", reserved: ["10.89.0.2"], expected: "10.89.0.3"),
        AddressCase(label: "ip_range bounds automatic addresses", range: "10.89.0.128/25", expected: "10.89.0.128"),
        AddressCase(label: "a lease outside ip_range is not used", range: "10.89.0.128/25", preferred: "10.89.0.9", expected: "10.89.0.128"),
        AddressCase(label: "ipv4_address is honoured", fixed: "10.89.0.77", expected: "10.89.0.77"),
        AddressCase(label: "ipv4_address in use is refused", fixed: "10.89.0.77", taken: ["10.89.0.77"], expected: nil),
        AddressCase(label: "ipv4_address equal to the gateway is refused", fixed: "10.89.0.1", expected: nil),
        AddressCase(label: "ipv4_address outside the subnet is refused", fixed: "10.90.0.5", expected: nil),
        AddressCase(label: "the broadcast address is never given", range: "10.89.0.252/30",
                    taken: ["10.89.0.252", "10.89.0.253", "10.89.0.254"], expected: nil),
    ])
    func allocates(_ test: AddressCase) {
        let subnet = Self.subnet("10.89.0.0/24")
        let result = try? IPAllocator().address(
            in: subnet, gateway: IPv4Address(0x0A59_0001), range: test.range.map(Self.subnet),
            fixed: test.fixed.flatMap(Self.address), preferred: test.preferred.flatMap(Self.address),
            taken: Set(test.taken.compactMap(Self.address)), reserved: Set(test.reserved.compactMap(Self.address)))
        #expect(result?.description == test.expected)
    }

    @Test("a full subnet reports exhaustion with the subnet's name")
    func exhausted() {
        let subnet = Self.subnet("10.89.0.0/30")
        do {
            _ = try IPAllocator().address(in: subnet, gateway: IPv4Address(0x0A59_0001), taken: [IPv4Address(0x0A59_0002)])
            Issue.record("expected exhaustion")
        } catch {
            #expect(error.code == .exhausted)
            #expect(error.object.contains("10.89.0.0/30"))
        }
    }
}

@Suite("IP allocation from several pools")
struct IPAllocatorPoolsTests {
    static let pools = [
        IPAllocator.Pool(subnet: IPAllocatorTests.subnet("10.70.1.0/30"), gateway: IPv4Address(0x0A46_0101)),
        IPAllocator.Pool(subnet: IPAllocatorTests.subnet("10.70.2.0/24"), gateway: IPv4Address(0x0A46_0201),
                         range: IPAllocatorTests.subnet("10.70.2.128/25")),
    ]

    static func set(_ texts: [String]) -> Set<IPv4Address> { Set(texts.compactMap(IPv4Address.init)) }

    @Test("addresses come from the pools in order; fixed and preferred ones from whichever pool holds them", arguments: [
        // (fixed, preferred, taken, reserved, expected pool, expected address)
        (nil, nil, [], [], 0, "10.70.1.2"),
        (nil, nil, ["10.70.1.2"], [], 1, "10.70.2.128"),
        (nil, nil, [], ["10.70.1.2"], 1, "10.70.2.128"),
        (nil, "10.70.2.200", [], [], 1, "10.70.2.200"),
        (nil, "10.70.2.200", ["10.70.2.200"], [], 0, "10.70.1.2"),
        ("10.70.2.9", nil, [], [], 1, "10.70.2.9"),
        ("10.70.1.2", nil, [], [], 0, "10.70.1.2"),
    ] as [(String?, String?, [String], [String], Int, String)])
    func fromPools(fixed: String?, preferred: String?, taken: [String], reserved: [String], pool: Int, expected: String) throws {
        let chosen = try IPAllocator().address(in: Self.pools, fixed: fixed.flatMap(IPv4Address.init),
                                               preferred: preferred.flatMap(IPv4Address.init), taken: Self.set(taken), reserved: Self.set(reserved))
        #expect(chosen.pool == pool)
        #expect(chosen.address.description == expected)
    }

    @Test("a reserved address is given out only when every pool has nothing else; then exhaustion names every subnet")
    func exhaustion() throws {
        let secondRange = (128...254).map { "10.70.2.\($0)" }
        let reservedOnly = try IPAllocator().address(in: Self.pools, taken: Self.set(secondRange), reserved: Self.set(["10.70.1.2"]))
        #expect(reservedOnly.address.description == "10.70.1.2")
        do {
            _ = try IPAllocator().address(in: Self.pools, taken: Self.set(secondRange + ["10.70.1.2"]))
            Issue.record("expected exhaustion")
        } catch {
            #expect(error.code == .exhausted)
            #expect(error.object.contains("10.70.1.0/30") && error.object.contains("10.70.2.0/24"))
        }
        do {
            _ = try IPAllocator().address(in: Self.pools, fixed: IPv4Address("10.70.3.4"), taken: [])
            Issue.record("expected an error for an address outside every pool")
        } catch {
            #expect(error.code == .invalidAddress)
            #expect(error.message.contains("10.70.1.0/30, 10.70.2.0/24"))
        }
    }
}
