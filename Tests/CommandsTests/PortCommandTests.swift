import Foundation
import Testing
@testable import Commands

@Suite("port")
struct PortCommandTests {
    static let badArgumentCases: [([String], String)] = [
        (["port", "--protocol", "sctp", "web", "80"], "--protocol sctp: expected tcp or udp"),
        (["port", "web", "0"], "port 0: expected 1 to 65535"),
        (["port", "--index", "0", "web", "80"], "--index 0: replicas are numbered from 1"),
    ]

    @Test("bad arguments fail before anything is read, naming the argument", arguments: badArgumentCases)
    func badArguments(_ arguments: [String], _ message: String) throws {
        let result = try BerthBinary.run(arguments)
        #expect(result.status != 0)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    @Test("port prints where a running container's port is published, as docker compose does, and names what is missing",
          .enabled(if: ContainerFixture.unavailableReason == nil, "\(ContainerFixture.unavailableReason ?? "")"))
    func printsPublishedPort() async throws {
        let tcpPort = PublishedPortsTests.freePort(), udpPort = PublishedPortsTests.freePort()
        let stack = try PublishedPortsTests.Project("""
            services:
              web:
                image: \(PublishedPortsTests.image)
                command: ["sh", "-c", "mkdir -p /www && echo served > /www/index.html && exec busybox httpd -f -p 80 -h /www"]
                ports: ["127.0.0.1:\(tcpPort):80", "127.0.0.1:\(udpPort):53/udp"]
            """)
        let up = try stack.run(["up", "-d"])
        #expect(up.status == 0, "\(up.stderr)")
        // The supervisor's forwarders record the ports they bound.
        let tcp = try stack.run(["port", "web", "80"])
        #expect(tcp.status == 0, "\(tcp.stderr)")
        #expect(tcp.stdout == "127.0.0.1:\(tcpPort)\n")
        #expect(try stack.run(["port", "--protocol", "udp", "web", "53"]).stdout == "127.0.0.1:\(udpPort)\n")

        let unpublished = try stack.run(["port", "web", "81"])
        #expect(unpublished.status != 0)
        #expect(unpublished.stderr.contains("no port 81/tcp published for container \(stack.name)-web-1"), "\(unpublished.stderr)")
        let replica = try stack.run(["port", "--index", "2", "web", "80"])
        #expect(replica.stderr.contains("service web has no container 2"), "\(replica.stderr)")
        let unknown = try stack.run(["port", "nope", "80"])
        #expect(unknown.stderr.contains("no such service: nope"), "\(unknown.stderr)")
    }
}
