import Foundation
import Testing

/// What `image prune` and `image rm` must never take: content a running pull has stored but not
/// yet named, and images (and their layers) containers use.
@Suite("image store safety")
struct ImageStoreSafetyTests {
    /// Whether `pid` waits in /proc/locks for an flock (a line `N: -> FLOCK ... PID ...`).
    static func waitsForLock(_ pid: Int32) -> Bool {
        let text = (try? String(contentsOfFile: "/proc/locks", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").contains { line in
            let fields = line.split(separator: " ")
            return fields.count > 5 && fields[1] == "->" && fields[2] == "FLOCK" && fields[5] == "\(pid)"
        }
    }

    static func waitUntil(seconds: Double = 60, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(20_000)
        }
        return condition()
    }

    @Test("a prune started while a pull has stored blobs but not named its image waits for the pull and removes none of it (two processes)")
    func pruneWaitsForPull() throws {
        let registry = try StallingRegistry()
        defer { registry.stop() }
        let stack = try CommandStack()
        let images = stack.directory + "/data/images"
        let pull = try stack.start(["image", "pull", registry.reference], output: "pull")
        defer { if pull.isRunning { pull.terminate() } }
        let firstUnpacked = images + "/layers/sha256/" + registry.firstLayer.digest.encoded
        #expect(Self.waitUntil { registry.holding && FileManager.default.fileExists(atPath: firstUnpacked) },
                "the pull stored its config and first layer and asks for the second")

        let prune = try stack.start(["image", "prune"], output: "prune")
        // Until prune either ends (no lock: it would delete the unnamed content now) or is seen
        // blocked on the store lock in /proc/locks: no fixed sleep.
        #expect(Self.waitUntil { !prune.isRunning || Self.waitsForLock(prune.processIdentifier) })
        #expect(prune.isRunning, "prune waits while the pull holds the store lock")
        registry.release()
        pull.waitUntilExit()
        prune.waitUntilExit()

        #expect(pull.terminationStatus == 0, "\((try? String(contentsOfFile: stack.directory + "/pull.stderr", encoding: .utf8)) ?? "")")
        #expect(prune.terminationStatus == 0)
        for blob in [registry.config.digest, registry.firstLayer.digest, registry.secondLayer.digest] {
            #expect(FileManager.default.fileExists(atPath: images + "/blobs/sha256/" + blob.encoded), "blob \(blob) kept")
        }
        #expect(FileManager.default.fileExists(atPath: firstUnpacked), "unpacked layer kept")
        // The named image is complete: inspect reads its manifest and config.
        let inspect = try stack.run(["image", "inspect", registry.reference])
        #expect(inspect.status == 0, "\(inspect.stderr)")
    }

    @Test("image rm refuses an image a running or stopped container uses, naming it; prune keeps it and its layers, also after rm --force")
    func inUse() throws {
        if let reason = ContainerFixture.unavailableReason {
            print("skipped: \(reason)")
            return
        }
        let stack = try CommandStack("""
            services:
              web:
                image: IMAGE
                command: \(CommandStack.loop)
            """)
        let up = try stack.run(["up", "-d"])
        try #require(up.status == 0, "\(up.stderr)")
        let list = try stack.run(["image", "ls", "--format", "json"])
        struct Row: Decodable { var name: String?; var id: String }
        let rows = try JSONDecoder().decode([Row].self, from: Data(list.stdout.utf8))
        let name = try #require(rows.first?.name, "the oci: image has a name in the store: \(list.stdout)")
        let layers = stack.directory + "/data/images/layers/sha256"
        let unpacked = try FileManager.default.contentsOfDirectory(atPath: layers)
        try #require(!unpacked.isEmpty)

        let refused = try stack.run(["image", "rm", name])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("\(stack.project)-web-1"), "the error names the container: \(refused.stderr)")
        #expect(refused.stderr.contains("--force"), "and says how to override: \(refused.stderr)")

        #expect(try stack.run(["stop", "-t", "1"]).status == 0)
        #expect(try stack.run(["image", "rm", name]).status == 1, "a stopped container still uses its image")
        #expect(try stack.run(["image", "prune", "--all"]).status == 0)
        #expect(try stack.run(["image", "inspect", name]).status == 0, "prune --all keeps an image a container uses")

        let forced = try stack.run(["image", "rm", "--force", name])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(try stack.run(["image", "prune", "--all"]).status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: layers).sorted() == unpacked.sorted(),
                "the layers of a force-removed image stay while its container exists")
        let start = try stack.run(["start"])
        #expect(start.status == 0, "the container starts again on its layers: \(start.stderr)")

        #expect(try stack.run(["down", "-t", "1"]).status == 0)
        #expect(try stack.run(["image", "prune", "--all"]).status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: layers).isEmpty, "with the container gone, prune takes the layers")
    }
}
