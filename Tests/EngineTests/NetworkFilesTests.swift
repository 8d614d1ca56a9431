import EngineAPI
import Testing
@testable import Engine

/// /etc/hosts, /etc/hostname and /etc/resolv.conf as docker writes them.
@Suite("Network files")
struct NetworkFilesTests {
    static let hostResolv = "# generated\nnameserver 192.0.2.53\nsearch corp.example lab.example\noptions edns0\n"

    static func files(_ edit: (inout ContainerSpec.DNSSettings) -> Void = { _ in }) -> NetworkFiles {
        var dns = ContainerSpec.DNSSettings()
        edit(&dns)
        return NetworkFiles(hostname: "web", domainname: nil, dns: dns)
    }

    @Test("hosts: localhost, the container's name on each address, then extra_hosts in file order")
    func hosts() {
        let files = Self.files { $0.extraHosts = ["db=10.1.2.3", "v6:fe80::1", "gw=host-gateway", "broken"] }
        #expect(files.hosts(addresses: ["10.89.0.2"]) == """
            127.0.0.1\tlocalhost
            ::1\tlocalhost ip6-localhost ip6-loopback
            10.89.0.2\tweb
            10.1.2.3\tdb
            fe80::1\tv6
            127.0.0.1\tgw

            """)
        let domain = NetworkFiles(hostname: "web", domainname: "example.org", dns: .init())
        #expect(domain.hosts(addresses: ["10.89.0.2"]).contains("10.89.0.2\tweb.example.org web\n"))
        #expect(files.hosts(addresses: [], hostHosts: "127.0.0.1 localhost\n192.0.2.9 builder\n").hasPrefix("127.0.0.1 localhost\n192.0.2.9 builder\n10.1.2.3\tdb\n"))
    }

    struct ResolvCase: Sendable, CustomTestStringConvertible {
        var label: String
        var servers: [String] = []
        var search: [String] = []
        var options: [String] = []
        var defaults: [String]
        var expected: String
        var testDescription: String { label }
    }

    @Test("resolv.conf: the network's server unless dns is set; dns_search and dns_opt replace the host's", arguments: [
        ResolvCase(label: "defaults keep the host's search and options", defaults: ["10.89.0.1"],
                   expected: "nameserver 10.89.0.1\nsearch corp.example lab.example\noptions edns0\n"),
        ResolvCase(label: "dns replaces the server", servers: ["9.9.9.9", "1.1.1.1"], defaults: ["10.89.0.1"],
                   expected: "nameserver 9.9.9.9\nnameserver 1.1.1.1\nsearch corp.example lab.example\noptions edns0\n"),
        ResolvCase(label: "dns_search and dns_opt replace the host's", search: ["svc.local"], options: ["ndots:2", "timeout:1"],
                   defaults: ["10.89.0.1"], expected: "nameserver 10.89.0.1\nsearch svc.local\noptions ndots:2 timeout:1\n"),
        ResolvCase(label: "network_mode none has no server", defaults: [],
                   expected: "search corp.example lab.example\noptions edns0\n"),
    ])
    func resolvConf(_ test: ResolvCase) {
        let files = Self.files { dns in
            dns.servers = test.servers
            dns.search = test.search
            dns.options = test.options
        }
        #expect(files.resolvConf(defaultServers: test.defaults, host: Self.hostResolv) == test.expected)
        #expect(NetworkFiles.nameservers(Self.hostResolv) == ["192.0.2.53"])
    }

    @Test("bridge names are berth- and nine hex digits, stable per network, within IFNAMSIZ")
    func bridgeNames() {
        let name = LocalEngine.bridgeName("demo_default")
        #expect(name == LocalEngine.bridgeName("demo_default"))
        #expect(name != LocalEngine.bridgeName("demo_back"))
        #expect(name.count == 15)
        #expect(name.hasPrefix("berth-"))
        #expect(name.dropFirst(6).allSatisfy { $0.isHexDigit })
    }

    @Test("firewall rules: one table per bridge; isolation always, masquerade unless internal, no forwarding if internal")
    func firewallRules() {
        let open = NetworkFirewall.rules(bridge: "berth-abc", subnet: "10.89.0.0/24", isInternal: false)
        #expect(open.hasPrefix("add table inet berth-abc\ndelete table inet berth-abc\ntable inet berth-abc {\n"))
        #expect(open.contains("iifname \"berth-abc\" oifname != \"berth-abc\" oifname \"berth-*\" drop"))
        #expect(open.contains("ip saddr 10.89.0.0/24 oifname != \"berth-abc\" masquerade"))
        #expect(!open.contains("oifname \"berth-abc\" iifname != \"berth-abc\" drop"))
        #expect(!open.contains("ip6 saddr"))
        let dual = NetworkFirewall.rules(bridge: "berth-abc", subnet: "10.89.0.0/24", subnet6: "fd00:1:2::/64", isInternal: false)
        #expect(dual.contains("ip6 saddr fd00:1:2::/64 oifname != \"berth-abc\" masquerade"))
        let closed = NetworkFirewall.rules(bridge: "berth-abc", subnet: "10.89.0.0/24", isInternal: true)
        #expect(!closed.contains("masquerade"))
        #expect(closed.contains("iifname \"berth-abc\" oifname != \"berth-abc\" drop"))
        #expect(closed.contains("oifname \"berth-abc\" iifname != \"berth-abc\" drop"))
    }
}
