import Foundation
import StateStore
import Synchronization
import Testing

@Suite struct EventStoreTests {
    static func event(_ action: String, project: String = "web", container: String = "c1") -> EventRecord {
        EventRecord(project: project, container: container, name: "\(project)-app-1", service: "app", action: action,
                    attributes: action == "die" ? ["exitCode": "0"] : [:])
    }

    @Test("events get increasing sequence numbers and are read back after a given one, per project")
    func appendAndFollow() throws {
        let store = try StateStore(path: temporaryPath("state.db"))
        #expect(try store.lastEventSequence() == nil)
        let create = try store.append(Self.event("create"))
        let start = try store.append(Self.event("start"))
        try store.append(Self.event("start", project: "other", container: "c2"))
        let die = try store.append(Self.event("die"))
        #expect(try #require(create.sequence) < #require(start.sequence))
        #expect(try store.events(project: "web").map(\.action) == ["create", "start", "die"])
        #expect(try store.events(after: start.sequence, project: "web").map(\.action) == ["die"])
        #expect(try store.events(after: start.sequence, project: "web").first?.attributes == ["exitCode": "0"])
        #expect(try store.lastEventSequence() == die.sequence)
        #expect(try store.events(after: die.sequence).isEmpty)
    }

    @Test("a container is found by name across projects")
    func containerByName() throws {
        let store = try StateStore(path: temporaryPath("state.db"))
        try store.save(StateStoreTests.container("c1", project: "a"))
        try store.save(StateStoreTests.container("c2", project: "b"))
        #expect(try store.container(named: "b-app-1")?.id == "c2")
        #expect(try store.container(named: "c-app-1") == nil)
    }

    @Test("a database made before events-v1 gains the table and keeps its containers")
    func migratesOlderDatabase() throws {
        let path = temporaryPath("state.db")
        do {
            let store = try StateStore(path: path)
            try store.save(StateStoreTests.container("c1"))
        }
        let reopened = try StateStore(path: path)
        try reopened.append(Self.event("start"))
        #expect(try reopened.events().count == 1)
        #expect(try reopened.container(id: "c1") != nil)
    }
}

@Suite struct ConcurrentOpenTests {
    @Test("commands opening a new database at once all succeed: migrations run once, under a lock")
    func concurrentOpen() throws {
        for _ in 0..<5 {
            let path = temporaryPath("state.db")
            let failures = Mutex<[String]>([])
            DispatchQueue.concurrentPerform(iterations: 8) { _ in
                do { _ = try StateStore(path: path) } catch { failures.withLock { $0.append("\(error)") } }
            }
            #expect(failures.withLock { $0 }.isEmpty)
        }
    }
}
