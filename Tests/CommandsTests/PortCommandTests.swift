import Foundation
import StateStore
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
    func printsPublishedPort() throws {
        let stack = try UpDownPsTests.Stack()
        let up = try stack.run(["up", "-d"])
        #expect(up.status == 0, "\(up.stderr)")
        // What the supervisor records once its forwarders are bound.
        let store = try StateStore(path: stack.data + "/state.db")
        let web = try #require(try store.containers(project: stack.project).first { $0.service == "web" })
        try store.recordPublishedPorts(id: web.id, [
            .init(hostIP: "::", hostPort: 8080, containerPort: 80, proto: "tcp"),
            .init(hostIP: "127.0.0.1", hostPort: 8080, containerPort: 80, proto: "tcp"),
            .init(hostIP: "0.0.0.0", hostPort: 5353, containerPort: 53, proto: "udp"),
        ])
        let tcp = try stack.run(["port", "web", "80"])
        #expect(tcp.status == 0, "\(tcp.stderr)")
        #expect(tcp.stdout == "127.0.0.1:8080\n")
        #expect(try stack.run(["port", "--protocol", "udp", "web", "53"]).stdout == "0.0.0.0:5353\n")

        let unpublished = try stack.run(["port", "web", "81"])
        #expect(unpublished.status != 0)
        #expect(unpublished.stderr.contains("no port 81/tcp published for container \(stack.project)-web-1"), "\(unpublished.stderr)")
        let replica = try stack.run(["port", "--index", "2", "web", "80"])
        #expect(replica.stderr.contains("service web has no container 2"), "\(replica.stderr)")
        let unknown = try stack.run(["port", "nope", "80"])
        #expect(unknown.stderr.contains("no such service: nope"), "\(unknown.stderr)")
    }
}
