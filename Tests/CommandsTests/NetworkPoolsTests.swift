import Foundation
import Testing
@testable import Engine

/// A network with two IPv4 `ipam.config` entries, through the binary as root: the bridge carries
/// both gateways, addresses come from the first pool until it is full and then from the second,
/// `ipv4_address` may be in either, and containers of different pools reach each other by name
/// (the DNS server listens at the first pool's gateway, which the second pool reaches on-link).
@Suite("a network with several IPv4 pools", .serialized,
       .enabled(if: ContainerFixture.unavailableReason == nil, "\(ContainerFixture.unavailableReason ?? "")"))
struct NetworkPoolsTests {
    static let server = #"["sh", "-c", "mkdir -p /www && hostname > /www/index.html && exec busybox httpd -f -p 8080 -h /www"]"#

    @Test("two ipam.config entries: both gateways on the bridge, the first pool filled first, ipv4_address in the second, names across pools")
    func twoPools() async throws {
        let project = try PublishedPortsTests.Project("""
            services:
              first:
                image: \(PublishedPortsTests.image)
                command: \(Self.server)
                networks: [pools]
              second:
                image: \(PublishedPortsTests.image)
                depends_on: [first]
                command: \(Self.server)
                networks: [pools]
              fixed:
                image: \(PublishedPortsTests.image)
                depends_on: [second]
                command: \(Self.server)
                networks:
                  pools: {ipv4_address: 10.253.6.50}
            networks:
              pools:
                ipam:
                  config:
                    - {subnet: 10.253.5.0/30}
                    - {subnet: 10.253.6.0/24, gateway: 10.253.6.254}
            """)
        let up = try project.run(["up", "-d"])
        try #require(up.status == 0, "up -d: \(up.stderr)")

        let bridge = LocalEngine.bridgeName("\(project.name)_pools")
        let shown = try BerthBinary.runProgram("/bin/sh", ["-c", "PATH=/usr/sbin:/usr/bin:/sbin:/bin ip -4 -o addr show dev \(bridge)"], in: project.directory)
        #expect(shown.stdout.contains("10.253.5.1/30") && shown.stdout.contains("10.253.6.254/24"), "the bridge's addresses: \(shown.stdout)")

        func address(of service: String) throws -> String {
            let out = try project.run(["exec", "-T", service, "sh", "-c", "busybox ip -4 -o addr show dev eth0"])
            return out.stdout.split(separator: " ").first { $0.contains("/") }.map(String.init) ?? out.stdout + out.stderr
        }
        #expect(try address(of: "first") == "10.253.5.2/30", "the only host address of the first pool")
        #expect(try address(of: "second") == "10.253.6.1/24", "the first pool is full: the second's first free address")
        #expect(try address(of: "fixed") == "10.253.6.50/24")

        // first (pool 1) and fixed (pool 2) fetch each other by name, through the DNS server at
        // the first pool's gateway.
        for (from, to) in [("first", "fixed"), ("fixed", "first"), ("second", "first")] {
            var fetched = BerthBinary.Result(status: -1, stdout: "", stderr: "", seconds: 0)
            for _ in 0..<30 {
                fetched = try project.run(["exec", "-T", from, "busybox", "wget", "-q", "-O", "-", "http://\(to):8080/"])
                if fetched.status == 0 && !fetched.stdout.isEmpty { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(fetched.status == 0 && !fetched.stdout.isEmpty, "\(from) fetches http://\(to):8080/: \(fetched.stdout)\(fetched.stderr)")
        }
        let down = try project.run(["down", "-t", "0"])
        #expect(down.status == 0, "\(down.stderr)")
    }
}
