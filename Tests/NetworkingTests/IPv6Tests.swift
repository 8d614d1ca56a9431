import Networking
import Testing

@Suite("IPv6 addresses")
struct IPv6Tests {
    @Test("IPv6 text parses with inet_pton and prints compressed", arguments: [
        ("fd00:0:0:0:0:0:0:1", "fd00::1"), ("::1", "::1"), ("FD12:3456:789A::A59:2", "fd12:3456:789a::a59:2"),
        ("10.89.0.1", nil), ("fd00::1::2", nil), ("", nil),
    ] as [(String, String?)])
    func parses(text: String, expected: String?) {
        #expect(IPv6Address(text)?.description == expected)
    }

    @Test("subnets: host bits refused, containment, overlap")
    func subnets() throws {
        let subnet = try IPv6Subnet(parsing: "fd00:1:2::/64")
        #expect(subnet.contains(try #require(IPv6Address("fd00:1:2::abcd"))))
        #expect(!subnet.contains(try #require(IPv6Address("fd00:1:3::1"))))
        #expect(subnet.overlaps(try IPv6Subnet(parsing: "fd00:1::/32")))
        #expect(!subnet.overlaps(try IPv6Subnet(parsing: "fd00:1:3::/64")))
        #expect(throws: NetworkingError.self) { try IPv6Subnet(parsing: "fd00:1:2::1/64") }
        #expect(throws: NetworkingError.self) { try IPv6Subnet(parsing: "10.0.0.0/8") }
    }

    @Test("a network's unique local /64 is stable, under fd00::/8, and differs by name")
    func uniqueLocal() {
        let subnet = IPv6Subnet.uniqueLocal(seed: "demo_default")
        #expect(subnet == IPv6Subnet.uniqueLocal(seed: "demo_default"))
        #expect(subnet != IPv6Subnet.uniqueLocal(seed: "demo_back"))
        #expect(subnet.prefixLength == 64)
        #expect(subnet.description.hasPrefix("fd"))
        #expect(subnet.network.bytes[6...].allSatisfy { $0 == 0 }, "global ID in bytes 1-5, subnet ID 0")
    }

    @Test("an address from a host part lands in the low bits of the subnet")
    func suffix() throws {
        let subnet = try IPv6Subnet(parsing: "fd00:1:2::/64")
        #expect(subnet.address(suffix: 1).description == "fd00:1:2::1")
        #expect(subnet.address(suffix: 0x0A59_0002).description == "fd00:1:2::a59:2")
        #expect(subnet.contains(subnet.address(suffix: UInt64.max)))
    }
}
