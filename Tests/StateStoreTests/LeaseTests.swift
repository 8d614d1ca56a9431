import Foundation
import StateStore
import Testing

/// Address leases and network attachments (migration `networks-v1`).
@Suite("Leases and attachments")
struct LeaseTests {
    @Test("an owner holds one address per network; a released lease stays for it and comes back")
    func leaseLifecycle() throws {
        let store = try StateStore(path: temporaryPath("state.db"))
        let first = try store.acquireLease(network: "demo_default", owner: "demo/web/1", container: "c1") { leases in
            #expect(leases.isEmpty)
            return "10.89.0.2"
        }
        #expect(first == "10.89.0.2")
        try store.releaseLeases(container: "c1")
        let released = try store.leases(network: "demo_default")
        #expect(released.map(\.address) == ["10.89.0.2"])
        #expect(released.first?.container == nil, "released, but kept for its owner")
        #expect(released.first?.owner == "demo/web/1")

        // The next container of the owner sees its old lease; choosing another drops the old one.
        _ = try store.acquireLease(network: "demo_default", owner: "demo/web/1", container: "c2") { leases in
            #expect(leases.first { $0.owner == "demo/web/1" }?.address == "10.89.0.2")
            return "10.89.0.7"
        }
        let now = try store.leases(network: "demo_default")
        #expect(now.map(\.address) == ["10.89.0.7"])
        #expect(now.first?.container == "c2")

        try store.removeLeases(network: "demo_default")
        #expect(try store.leases(network: "demo_default").isEmpty)
    }

    @Test("a chooser that throws leaves the leases as they were")
    func chooserFailure() throws {
        struct Exhausted: Error {}
        let store = try StateStore(path: temporaryPath("state.db"))
        _ = try store.acquireLease(network: "n", owner: "o1", container: "c1") { _ in "10.89.0.2" }
        #expect(throws: StateError.self) {
            _ = try store.acquireLease(network: "n", owner: "o1", container: "c2") { _ in throw Exhausted() }
        }
        #expect(try store.leases(network: "n").map(\.container) == ["c1"])
    }

    @Test("a container's attachments and a network's bridge and ip_range round-trip")
    func attachmentsRoundTrip() throws {
        let path = temporaryPath("state.db")
        do {
            let store = try StateStore(path: path)
            var container = ContainerRecord(id: "c1", name: "demo-web-1", project: "demo", service: "web", number: 1,
                                            image: "busybox", imageID: "sha256:abc", configHash: "h")
            container.networks = [AttachmentRecord(network: "demo_default", interface: "eth0", hostInterface: "vbabcdef01230",
                                                   ipv4Address: "10.89.0.2", prefixLength: 24, gateway: "10.89.0.1",
                                                   macAddress: "02:42:0a:59:00:02", aliases: ["web"])]
            try store.save(container)
            var network = NetworkRecord(name: "demo_default", project: "demo", subnet: "10.89.0.0/24", gateway: "10.89.0.1")
            network.bridge = "berth-0123456789"
            network.ipRange = "10.89.0.128/25"
            try store.save(network)
        }
        let store = try StateStore(path: path)
        let container = try #require(try store.container(id: "c1"))
        #expect(container.networks.first?.ipv4Address == "10.89.0.2")
        #expect(container.networks.first?.aliases == ["web"])
        let network = try #require(try store.network(name: "demo_default"))
        #expect(network.bridge == "berth-0123456789")
        #expect(network.ipRange == "10.89.0.128/25")
        #expect(try store.allNetworks().map(\.name) == ["demo_default"])
    }
}
