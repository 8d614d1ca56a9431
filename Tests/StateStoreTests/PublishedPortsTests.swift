import Foundation
import StateStore
import Testing

@Suite struct PublishedPortsTests {
    @Test("published ports are recorded on a container, survive reopening the store, and a gone container is left alone")
    func publishedPortsRoundTrip() throws {
        let path = temporaryPath("state.db")
        let ports = [PublishedPortRecord(hostIP: "0.0.0.0", hostPort: 8080, containerPort: 80, proto: "tcp"),
                     PublishedPortRecord(hostIP: "::1", hostPort: 5353, containerPort: 53, proto: "udp")]
        do {
            let store = try StateStore(path: path)
            try store.save(StateStoreTests.container("c1"))
            #expect(try store.container(id: "c1")?.publishedPorts == [], "a new container has none")
            try store.recordPublishedPorts(id: "c1", ports)
            try store.recordPublishedPorts(id: "gone", ports)
            #expect(try store.container(id: "gone") == nil)
        }
        let reopened = try StateStore(path: path)
        #expect(try reopened.container(id: "c1")?.publishedPorts == ports)
    }
}
