import EngineAPI
import Foundation
import Testing
@testable import Engine

/// Compose networks through `LocalEngine`, as root: bridges in the host's namespace, veths into
/// real containers, traffic between busybox `httpd` and `wget`. Serialized: every test makes
/// bridges in the one host namespace and picks free subnets from what it sees there.
@Suite("LocalEngine networks", .serialized, .enabled(if: EngineFixture.unavailableReason == nil, "\(EngineFixture.unavailableReason ?? "")"))
struct LocalEngineNetworkTests {
    /// An area whose networks get names of their own (bridge names derive from them, and other
    /// test runs on this machine make bridges too); `finish` removes what the test left.
    struct Area {
        let area: EngineFixture.Area
        let tag = "t" + UUID().uuidString.prefix(6).lowercased()
        var engine: LocalEngine { area.engine }

        init() throws { area = try EngineFixture.Area() }

        func name(_ network: String) -> String { "\(tag)_\(network)" }

        func network(_ key: String, isInternal: Bool = false, subnet: String? = nil, ipv6: Bool = false) async throws -> String {
            var spec = NetworkSpec(name: name(key), labels: [ResourceLabels.project: "demo", ResourceLabels.network: key])
            spec.isInternal = isInternal
            spec.enableIPv6 = ipv6
            if let subnet { spec.subnets = [.init(subnet: subnet, gateway: nil)] }
            try await engine.createNetwork(spec)
            return spec.name
        }

        /// Creates and starts a container of `service` on `networks`.
        func run(_ service: String, _ command: [String], networks: [String], number: Int = 1,
                 configure: (inout ContainerSpec) -> Void = { _ in }) async throws -> String {
            var spec = try await area.spec("\(tag)-\(service)-\(number)-\(UUID().uuidString.prefix(4))", command: command, service: service)
            spec.labels[ResourceLabels.containerNumber] = "\(number)"
            spec.networks = networks.map { ContainerSpec.NetworkAttachment(network: $0, aliases: [service]) }
            spec.mounts = [.init(kind: .bind, source: area.host, target: "/out")]
            configure(&spec)
            let id = try await engine.createContainer(spec)
            try await engine.startContainer(id: id)
            return id
        }

        func address(_ id: String, on network: String) async throws -> String? {
            try await area.observed(id)?.networks.first { $0.network == network }?.ipv4Address
        }

        func output(_ file: String) -> String { (try? String(contentsOfFile: area.host + "/" + file, encoding: .utf8)) ?? "" }

        func finish() async {
            for container in (try? await engine.observe(project: "demo").containers) ?? [] {
                try? await engine.removeContainer(id: container.id, force: true, removeAnonymousVolumes: true)
            }
            for network in (try? await engine.observe(project: "demo").networks) ?? [] {
                try? await engine.removeNetwork(name: network.name)
            }
            area.remove()
        }
    }

    static let server = ["sh", "-c", "mkdir -p /www && echo served > /www/index.html && exec busybox httpd -f -p 8080 -h /www"]

    /// Shell that fetches `url` into /out/`file`, retrying for 2 s while the server starts,
    /// each try bounded by `timeout` (busybox 1.35's own `wget -T` crashes); "failed" if none
    /// succeeds.
    static func fetchScript(_ url: String, into file: String, tries: Int = 20) -> String {
        "for i in $(busybox seq \(tries)); do busybox timeout 2 busybox wget -q -O /out/\(file) \(url) && exit 0; busybox sleep 0.1; done; "
            + "echo failed > /out/\(file); exit 1"
    }

    static func fetch(_ url: String, into file: String, tries: Int = 20) -> [String] {
        ["sh", "-c", fetchScript(url, into: file, tries: tries)]
    }

    /// Links whose names Berth gives (bridges and host veth ends), as `ip` lists them.
    static func berthLinks() throws -> [String] {
        try String(contentsOfFile: "/proc/net/dev", encoding: .utf8).split(separator: "\n")
            .compactMap { $0.split(separator: ":").first?.trimmingCharacters(in: .whitespaces) }
            .filter { $0.hasPrefix("berth-") || $0.hasPrefix("vb") }
    }

    @Test("two containers on one network reach each other by IP, with hosts, hostname and resolv.conf written")
    func sameNetwork() async throws {
        let area = try Area()
        let network = try await area.network("default")
        let server = try await area.run("web", Self.server, networks: [network])
        let address = try #require(try await area.address(server, on: network))
        let client = try await area.run("client", ["sh", "-c", "cat /etc/hosts > /out/hosts; cat /etc/resolv.conf > /out/resolv; "
                                                       + "busybox hostname > /out/hostname; " + Self.fetchScript("http://\(address):8080/", into: "got")],
                                        networks: [network]) { $0.hostname = "clienthost"; $0.dns.extraHosts = ["db.example=10.1.2.3"] }
        let exited = try await area.area.waitForExit(client)
        #expect(exited?.exitCode == 0)
        #expect(area.output("got") == "served\n")
        let clientAddress = try #require(area.output("hosts").split(separator: "\n").first { $0.hasSuffix("clienthost") })
        #expect(clientAddress.hasPrefix(address.split(separator: ".").prefix(3).joined(separator: ".") + "."), "its own address on the network")
        #expect(area.output("hosts").contains("10.1.2.3\tdb.example"), "extra_hosts")
        #expect(area.output("hostname") == "clienthost\n")
        let gateway = address.split(separator: ".").prefix(3).joined(separator: ".") + ".1"
        #expect(area.output("resolv").hasPrefix("nameserver \(gateway)\n"), "the network's DNS server on its gateway")
        #expect(exited?.networks.isEmpty == true, "a stopped container holds no address")
        await area.finish()
    }

    @Test("two networks are isolated, and a container on both reaches each")
    func isolation() async throws {
        let area = try Area()
        let front = try await area.network("front")
        let back = try await area.network("back")
        let server = try await area.run("web", Self.server, networks: [back])
        let address = try #require(try await area.address(server, on: back))

        let both = try await area.run("both", ["sh", "-c", "busybox ip -o -4 addr > /out/addrs; " + Self.fetchScript("http://\(address):8080/", into: "both")],
                                      networks: [front, back])
        #expect(try await area.area.waitForExit(both)?.exitCode == 0)
        #expect(area.output("both") == "served\n")
        #expect(area.output("addrs").contains("eth0"))
        #expect(area.output("addrs").contains("eth1"))

        // The server answers (above); from the other network it cannot be reached.
        let outsider = try await area.run("outsider", Self.fetch("http://\(address):8080/", into: "outsider", tries: 1), networks: [front])
        _ = try await area.area.waitForExit(outsider)
        #expect(area.output("outsider") == "failed\n", "front cannot reach back")
        await area.finish()
    }

    @Test("an internal network has no default route; a normal one routes via its gateway, the highest priority winning")
    func internalHasNoRoute() async throws {
        let area = try Area()
        let closed = try await area.network("closed", isInternal: true)
        let open = try await area.network("open")
        let other = try await area.network("other")
        let inside = try await area.run("inside", ["sh", "-c", "busybox ip route > /out/internal"], networks: [closed])
        _ = try await area.area.waitForExit(inside)
        #expect(!area.output("internal").contains("default"), "\(area.output("internal"))")
        #expect(area.output("internal").contains("eth0"))

        let routed = try await area.run("routed", ["sh", "-c", "busybox ip route > /out/routed"], networks: [open, other]) { spec in
            spec.networks[1].priority = 10
        }
        _ = try await area.area.waitForExit(routed)
        let defaultRoute = area.output("routed").split(separator: "\n").first { $0.hasPrefix("default") } ?? ""
        #expect(defaultRoute.contains("dev eth1"), "the priority-10 network gives the default route: \(area.output("routed"))")
        await area.finish()
    }

    @Test("network_mode service:x shares that container's localhost")
    func sharedNamespace() async throws {
        let area = try Area()
        let network = try await area.network("default")
        let server = try await area.run("web", ["sh", "-c", "mkdir -p /www && echo local > /www/index.html && exec busybox httpd -f -p 127.0.0.1:8081 -h /www"],
                                        networks: [network])
        let sidecar = try await area.run("sidecar", Self.fetch("http://127.0.0.1:8081/", into: "sidecar"), networks: []) { spec in
            spec.namespaces.network = .container(server)
        }
        _ = try await area.area.waitForExit(sidecar)
        #expect(area.output("sidecar") == "local\n")
        await area.finish()
    }

    @Test("automatic subnets avoid the host's routes and each other; ipam.config subnets are honoured")
    func subnets() async throws {
        let area = try Area()
        _ = try await area.network("fixed", subnet: "10.89.0.0/24")
        _ = try await area.network("auto1")
        _ = try await area.network("auto2")
        let routes = try String(contentsOfFile: "/proc/net/route", encoding: .utf8)
        #expect(routes.count > 0)
        let observed = try await area.engine.observe(project: "demo").networks
        #expect(observed.count == 3)
        let server = try await area.run("web", Self.server, networks: [area.name("fixed"), area.name("auto1"), area.name("auto2")])
        let fixed = try #require(try await area.address(server, on: area.name("fixed")))
        let auto1 = try #require(try await area.address(server, on: area.name("auto1")))
        let auto2 = try #require(try await area.address(server, on: area.name("auto2")))
        #expect(fixed == "10.89.0.2")
        let prefixes = Set([fixed, auto1, auto2].map { $0.split(separator: ".").prefix(3).joined(separator: ".") })
        #expect(prefixes.count == 3, "three distinct /24s: \(fixed) \(auto1) \(auto2)")
        #expect(!auto1.hasPrefix("10.89.0."), "the automatic subnet skipped the one in use")
        await area.finish()
    }

    @Test("a replica gets its address back after a recreate, and ipv4_address is honoured")
    func stableAddress() async throws {
        let area = try Area()
        let network = try await area.network("default")
        let first = try await area.run("web", Self.server, networks: [network])
        let address = try #require(try await area.address(first, on: network))
        try await area.engine.stopContainer(id: first, signal: "SIGKILL", gracePeriod: 0)
        // Another service started meanwhile does not take the stopped replica's address.
        let other = try await area.run("other", Self.server, networks: [network])
        #expect(try await area.address(other, on: network) != address)
        try await area.engine.removeContainer(id: first, force: true, removeAnonymousVolumes: true)
        let second = try await area.run("web", Self.server, networks: [network])
        #expect(try await area.address(second, on: network) == address)

        let fixed = try await area.run("fixed", Self.server, networks: [network]) { spec in
            spec.networks[0].ipv4Address = address.split(separator: ".").prefix(3).joined(separator: ".") + ".200"
        }
        #expect(try await area.address(fixed, on: network)?.hasSuffix(".200") == true)
        await #expect(throws: EngineError.self) {
            _ = try await area.run("clash", Self.server, networks: [network]) { spec in
                spec.networks[0].ipv4Address = address
            }
        }
        await area.finish()
    }

    @Test("20 container create/start/remove cycles and a network's removal leave no link behind")
    func noLeaks() async throws {
        let area = try Area()
        let network = try await area.network("default")
        var ids: [String] = []
        for _ in 0..<20 {
            let id = try await area.run("cycle", ["sh", "-c", "exit 0"], networks: [network])
            ids.append(id)
            _ = try await area.area.waitForExit(id)
            try await area.engine.removeContainer(id: id, force: true, removeAnonymousVolumes: true)
        }
        try await area.engine.removeNetwork(name: network)
        // Only this test's links: other suites make bridges and veths on the host at the same time.
        let ours = try Self.berthLinks().filter { link in
            link == LocalEngine.bridgeName(network) || ids.contains { link.hasPrefix("vb" + $0.prefix(10)) }
        }
        #expect(ours.isEmpty, "left behind: \(ours)")
        if FileManager.default.isExecutableFile(atPath: "/usr/sbin/nft") {
            #expect(try EngineFixture.run(["/usr/sbin/nft", "list", "table", "inet", LocalEngine.bridgeName(network)]) != 0,
                    "the network's nft table went with it")
        }
        await area.finish()
    }

    @Test("an external network made by one project carries another project's containers, and stays theirs")
    func externalNetwork() async throws {
        let area = try Area()
        let shared = try await area.network("shared")  // made by project demo
        let server = try await area.run("web", Self.server, networks: [shared])
        let address = try #require(try await area.address(server, on: shared))
        var guest = try await area.area.spec("\(area.tag)-guest-1", command: Self.fetch("http://\(address):8080/", into: "guest"),
                                             project: "other", service: "guest")
        guest.networks = [.init(network: shared, aliases: ["guest"])]
        guest.mounts = [.init(kind: .bind, source: area.area.host, target: "/out")]
        let id = try await area.engine.createContainer(guest)
        try await area.engine.startContainer(id: id)
        #expect(try await area.area.waitForExit(id, project: "other")?.exitCode == 0)
        #expect(area.output("guest") == "served\n")
        #expect(try await area.engine.observe(project: "other").networks.isEmpty, "the network stays demo's")
        try await area.engine.removeContainer(id: id, force: true, removeAnonymousVolumes: true)
        await area.finish()
    }

    @Test("a bridge gone behind Berth's back (a reboot) is made again when a container on it starts, and the container keeps its address")
    func bridgeRecreated() async throws {
        let area = try Area()
        let network = try await area.network("default")
        let id = try await area.run("web", Self.server, networks: [network])
        let address = try #require(try await area.address(id, on: network))
        try await area.engine.stopContainer(id: id, signal: "SIGKILL", gracePeriod: 0)
        #expect(try EngineFixture.run(["/usr/sbin/ip", "link", "delete", LocalEngine.bridgeName(network)]) == 0)
        #expect(!FileManager.default.fileExists(atPath: "/sys/class/net/" + LocalEngine.bridgeName(network)))

        try await area.engine.startContainer(id: id)
        #expect(FileManager.default.fileExists(atPath: "/sys/class/net/" + LocalEngine.bridgeName(network)))
        #expect(try await area.address(id, on: network) == address)
        let client = try await area.run("client", Self.fetch("http://\(address):8080/", into: "again"), networks: [network])
        #expect(try await area.area.waitForExit(client)?.exitCode == 0)
        #expect(area.output("again") == "served\n")
        await area.finish()
    }

    @Test("enable_ipv6: containers get a unique local address beside IPv4 and reach each other over IPv6")
    func ipv6() async throws {
        let area = try Area()
        let network = try await area.network("dual", ipv6: true)
        let server = try await area.run("web", Self.server, networks: [network])
        let observed = try #require(try await area.area.observed(server)?.networks.first)
        let address6 = try #require(observed.ipv6Address)
        #expect(address6.hasPrefix("fd"))
        let octets = observed.ipv4Address.split(separator: ".").compactMap { Int($0) }
        let lowBits = ":" + String(octets[0] << 8 | octets[1], radix: 16) + ":" + String(octets[2] << 8 | octets[3], radix: 16)
        #expect(address6.hasSuffix(lowBits), "the IPv4 address in the low bits: \(address6) for \(observed.ipv4Address)")
        let client = try await area.run("client", ["sh", "-c", "busybox ip -6 route > /out/routes6; cat /etc/hosts > /out/hosts6; "
                                                       + Self.fetchScript("http://[\(address6)]:8080/", into: "six")],
                                        networks: [network])
        #expect(try await area.area.waitForExit(client)?.exitCode == 0)
        #expect(area.output("six") == "served\n")
        #expect(area.output("routes6").contains("default via"), "\(area.output("routes6"))")
        #expect(area.output("hosts6").contains("fd"), "the container's IPv6 address is in its hosts file")
        await area.finish()
    }

    @Test("replicas started in parallel get distinct addresses")
    func parallelStarts() async throws {
        let area = try Area()
        let network = try await area.network("default")
        let ids = try await withThrowingTaskGroup(of: String.self) { group in
            for number in 1...6 {
                group.addTask { try await area.run("web", Self.server, networks: [network], number: number) }
            }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        var addresses: [String] = []
        for id in ids { addresses.append(try #require(try await area.address(id, on: network))) }
        #expect(Set(addresses).count == 6, "\(addresses)")
        await area.finish()
    }

    @Test("a network in use cannot be removed; a missing external network is named")
    func errors() async throws {
        let area = try Area()
        let network = try await area.network("default")
        let server = try await area.run("web", Self.server, networks: [network])
        await #expect(throws: EngineError.self) { try await area.engine.removeNetwork(name: network) }
        do {
            _ = try await area.run("lost", Self.server, networks: [area.name("missing")])
            Issue.record("a container on a missing network started")
        } catch let error as EngineError {
            #expect(error.code == .notFound)
            #expect(error.description.contains(area.name("missing")))
        }
        try await area.engine.stopContainer(id: server, signal: "SIGKILL", gracePeriod: 0)
        try await area.engine.removeNetwork(name: network)
        await area.finish()
    }
}
