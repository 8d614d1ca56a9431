import Foundation
import GRDB
import StateStore
import Testing

/// The `supervisor-v1` migration's fields: what the user stopped, health, and how to supervise.
@Suite struct SupervisorFieldsTests {
    @Test("stoppedByUser, health, its log and the supervision settings survive reopening the store")
    func durable() throws {
        let path = temporaryPath("state.db")
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        do {
            let store = try StateStore(path: path)
            var container = StateStoreTests.container("c1")
            container.stoppedByUser = true
            container.restartCount = 2
            container.health = "unhealthy"
            container.healthFailingStreak = 3
            container.healthLog = [HealthLogEntry(start: start, end: start.addingTimeInterval(0.2), exitCode: 1, output: "no\n")]
            container.supervision = #"{"restart":{"mode":"always"}}"#
            try store.save(container)
        }
        let container = try #require(try StateStore(path: path).container(id: "c1"))
        #expect(container.stoppedByUser)
        #expect(container.restartCount == 2)
        #expect(container.health == "unhealthy")
        #expect(container.healthFailingStreak == 3)
        #expect(container.healthLog == [HealthLogEntry(start: start, end: start.addingTimeInterval(0.2), exitCode: 1, output: "no\n")])
        #expect(container.supervision == #"{"restart":{"mode":"always"}}"#)
    }

    @Test("a new record is not stopped by the user and has no health")
    func defaults() throws {
        let store = try StateStore(path: temporaryPath("state.db"))
        try store.save(StateStoreTests.container("c1"))
        let container = try #require(try store.container(id: "c1"))
        #expect(!container.stoppedByUser)
        #expect(container.health == nil)
        #expect(container.healthLog.isEmpty)
    }

    @Test("updateContainer changes one field and leaves the others as another writer left them")
    func update() throws {
        let store = try StateStore(path: temporaryPath("state.db"))
        var container = StateStoreTests.container("c1")
        container.health = "healthy"
        try store.save(container)
        let updated = try store.updateContainer(id: "c1") { $0.stoppedByUser = true }
        #expect(updated?.stoppedByUser == true)
        #expect(try store.container(id: "c1")?.health == "healthy")
        #expect(try store.updateContainer(id: "missing") { $0.stoppedByUser = true } == nil)
    }

    @Test("a database made before the supervisor is migrated: its containers read as not stopped by the user")
    func migratesOldDatabase() throws {
        let path = temporaryPath("state.db")
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        // The v1 schema as it shipped, with one container in it.
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: """
                CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
                INSERT INTO grdb_migrations VALUES ('v1');
                CREATE TABLE container (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, project TEXT NOT NULL, service TEXT NOT NULL,
                  number INTEGER NOT NULL, oneoff BOOLEAN NOT NULL, image TEXT NOT NULL, imageID TEXT NOT NULL, configHash TEXT NOT NULL,
                  labels TEXT NOT NULL, recordedConfig TEXT NOT NULL, state TEXT NOT NULL, pid INTEGER, exitCode INTEGER,
                  restartCount INTEGER NOT NULL, createdAt DATETIME NOT NULL, startedAt DATETIME, finishedAt DATETIME);
                CREATE TABLE network (name TEXT PRIMARY KEY, project TEXT NOT NULL, driver TEXT NOT NULL, subnet TEXT, gateway TEXT,
                  isInternal BOOLEAN NOT NULL, isExternal BOOLEAN NOT NULL, labels TEXT NOT NULL, createdAt DATETIME NOT NULL);
                CREATE TABLE volume (name TEXT PRIMARY KEY, project TEXT NOT NULL, driver TEXT NOT NULL, mountpoint TEXT NOT NULL,
                  isExternal BOOLEAN NOT NULL, labels TEXT NOT NULL, createdAt DATETIME NOT NULL);
                INSERT INTO container VALUES ('c1', 'web-app-1', 'web', 'app', 1, 0, 'busybox', 'sha256:abc', 'h1', '{}', '{}',
                  'running', 42, NULL, 0, '2026-11-22 10:00:00.000', NULL, NULL);
                """)
        }
        try queue.close()
        let container = try #require(try StateStore(path: path).container(id: "c1"))
        #expect(!container.stoppedByUser)
        #expect(container.healthLog.isEmpty)
        #expect(container.state == .running)
    }
}
