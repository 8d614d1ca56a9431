import Foundation
import StateStore
import Testing

func temporaryPath(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("berth-state-\(UUID().uuidString)").path + "/" + name
}

@Suite struct StateStoreTests {
    static func container(_ id: String, project: String = "web", service: String = "app", number: Int = 1) -> ContainerRecord {
        ContainerRecord(id: id, name: "\(project)-\(service)-\(number)", project: project, service: service, number: number,
                        image: "busybox:latest", imageID: "sha256:abc", configHash: "h1",
                        labels: ["com.docker.compose.project.working_dir": "/srv/\(project)"],
                        recordedConfig: ["environment": "{\"A\":\"1\"}"])
    }

    @Test("containers round-trip with their labels and recorded configuration")
    func containersRoundTrip() throws {
        let store = try StateStore(path: temporaryPath("state.db"))
        try store.save(Self.container("c1"))
        try store.save(Self.container("c2", number: 2))
        try store.save(Self.container("c3", project: "other"))
        let containers = try store.containers(project: "web")
        #expect(containers.map(\.id) == ["c1", "c2"])
        #expect(containers.first?.labels["com.docker.compose.project.working_dir"] == "/srv/web")
        #expect(containers.first?.recordedConfig == ["environment": "{\"A\":\"1\"}"])
        try store.removeContainer(id: "c1")
        #expect(try store.containers(project: "web").map(\.id) == ["c2"])
    }

    @Test("an exit is recorded with its code and survives reopening the store")
    func exitIsDurable() throws {
        let path = temporaryPath("state.db")
        do {
            let store = try StateStore(path: path)
            var container = Self.container("c1")
            container.state = .running
            container.pid = 4242
            try store.save(container)
            try store.recordExit(id: "c1", code: 137)
        }
        let reopened = try StateStore(path: path)
        let container = try #require(try reopened.container(id: "c1"))
        #expect(container.state == .exited)
        #expect(container.exitCode == 137)
        #expect(container.pid == nil)
        #expect(container.finishedAt != nil)
    }

    @Test("the database runs in WAL mode")
    func walMode() throws {
        #expect(try StateStore(path: temporaryPath("state.db")).journalMode() == "wal")
    }

    @Test("networks and volumes are kept per project")
    func networksAndVolumes() throws {
        let store = try StateStore(path: temporaryPath("state.db"))
        try store.save(NetworkRecord(name: "web_default", project: "web", subnet: "10.89.0.0/24"))
        try store.save(VolumeRecord(name: "web_data", project: "web", mountpoint: "/var/lib/berth/volumes/web_data"))
        try store.save(NetworkRecord(name: "other_default", project: "other"))
        #expect(try store.networks(project: "web").map(\.name) == ["web_default"])
        #expect(try store.volumes(project: "web").first?.mountpoint == "/var/lib/berth/volumes/web_data")
        try store.removeNetwork(name: "web_default")
        try store.removeVolume(name: "web_data")
        #expect(try store.networks(project: "web").isEmpty)
        #expect(try store.volumes(project: "web").isEmpty)
    }

    @Test("projects are listed with their containers counted by state")
    func projects() throws {
        let store = try StateStore(path: temporaryPath("state.db"))
        var running = Self.container("c1")
        running.state = .running
        try store.save(running)
        try store.save(Self.container("c2", number: 2))
        try store.save(Self.container("c3", project: "other"))
        let projects = try store.projects()
        #expect(projects.map(\.name) == ["other", "web"])
        #expect(projects.last?.states == [.running: 1, .created: 1])
        #expect(projects.last?.workingDirectory == "/srv/web")
    }

    @Test("a database file that is not SQLite is an error naming it")
    func corruptDatabase() throws {
        let path = temporaryPath("state.db")
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data("this is not a database, and is long enough to look like a header".utf8).write(to: URL(fileURLWithPath: path))
        #expect { try StateStore(path: path) } throws: { error in
            (error as? StateError)?.code == .open && "\(error)".contains(path)
        }
    }
}

@Suite struct ProjectLockTests {
    @Test("a second lock on the same project waits, then times out naming the holder")
    func exclusive() throws {
        let directory = (temporaryPath("x") as NSString).deletingLastPathComponent
        let first = try ProjectLock.acquire(project: "web", directory: directory)
        let start = ContinuousClock.now
        #expect { try ProjectLock.acquire(project: "web", directory: directory, timeout: .milliseconds(200)) } throws: { error in
            guard let error = error as? StateError else { return false }
            return error.code == .lockTimeout && error.message.contains("pid \(getpid())")
        }
        #expect(ContinuousClock.now - start >= .milliseconds(200))
        _ = try ProjectLock.acquire(project: "other", directory: directory, timeout: .zero)
        first.release()
        _ = try ProjectLock.acquire(project: "web", directory: directory, timeout: .zero)
    }

    @Test("a lock held by a process killed with SIGKILL is free again")
    func releasedByKill() throws {
        let directory = (temporaryPath("x") as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        // --no-fork: the process we kill is the one holding the lock (no child inherits it).
        holder.arguments = ["--no-fork", directory + "/web.lock", "sleep", "30"]
        try holder.run()
        // Wait until util-linux's flock holds it.
        var held = false
        for _ in 0..<100 where !held {
            do {
                let probe = try ProjectLock.acquire(project: "web", directory: directory, timeout: .zero)
                probe.release()
                usleep(20_000)
            } catch {
                held = true
            }
        }
        #expect(held, "the helper process took the lock")
        kill(holder.processIdentifier, SIGKILL)
        holder.waitUntilExit()
        let start = ContinuousClock.now
        _ = try ProjectLock.acquire(project: "web", directory: directory, timeout: .seconds(2))
        #expect(ContinuousClock.now - start < .seconds(1))
    }
}
