import Foundation
import Testing
@testable import Commands

/// What the container tests need: root, berth-init next to `berth`, and the busybox OCI layout.
enum ContainerFixture {
    /// The busybox OCI layout `Tests/ImagesTests/Fixtures/build-images.sh` builds, shared with the
    /// engine tests (same directory, same bytes), or nil when the script cannot run here.
    static let images: String? = {
        let output = NSTemporaryDirectory() + "berth-engine-images"
        if FileManager.default.fileExists(atPath: output + "/busybox/index.json") { return output }
        let scratch = output + ".\(getpid())"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [repositoryRoot + "/Tests/ImagesTests/Fixtures/build-images.sh", scratch]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        if rename(scratch, output) != 0 { try? FileManager.default.removeItem(atPath: scratch) }  // another run won
        return FileManager.default.fileExists(atPath: output + "/busybox/index.json") ? output : nil
    }()

    /// Why containers cannot run here, or nil when they can.
    static let unavailableReason: String? = {
        if getuid() != 0 { return "up/down/ps tests run containers as root (CI runs them as root)" }
        let initPath = URL(fileURLWithPath: BerthBinary.path).deletingLastPathComponent().path + "/berth-init"
        if !FileManager.default.isExecutableFile(atPath: initPath) {
            return "\(initPath) is missing: run `swift build --product berth-init` before `swift test`"
        }
        if !FileManager.default.isExecutableFile(atPath: "/bin/busybox") { return "/bin/busybox is missing (busybox-static, see .ci/deps)" }
        if images == nil { return "build-images.sh failed (needs tar, gzip, zstd, busybox-static)" }
        return nil
    }()
}

/// `berth up -d`, `ps` and `down` run as a user runs them: the built binary, as root, over a data
/// and a runtime directory of their own (`BERTH_DATA_DIR`, `BERTH_RUNTIME_DIR`), on a two-service
/// project without published ports (networking is issue 5).
@Suite("up, down and ps", .enabled(if: ContainerFixture.unavailableReason == nil, "\(ContainerFixture.unavailableReason ?? "")"))
struct UpDownPsTests {
    /// A project directory with its own engine directories; `down -v` on removal so no container
    /// outlives a failed test.
    final class Stack {
        let directory: String
        let project = "cli" + UUID().uuidString.prefix(8).lowercased()

        init(mode: String = "test") throws {
            directory = try temporaryDirectory([:])
            try write(mode: mode)
        }

        deinit {
            _ = try? run(["down", "-v", "-t", "1"])
            try? FileManager.default.removeItem(atPath: directory)
        }

        var data: String { directory + "/data" }

        func write(mode: String) throws {
            let loop = #"["sh", "-c", "trap 'exit 0' TERM; while true; do busybox sleep 1 & wait; done"]"#
            let yaml = """
                name: \(project)
                services:
                  db:
                    image: oci:\(ContainerFixture.images ?? "/nonexistent")/busybox
                    command: \(loop)
                    volumes: [data:/data]
                  web:
                    image: oci:\(ContainerFixture.images ?? "/nonexistent")/busybox
                    depends_on: [db]
                    environment: {MODE: \(mode)}
                    command: \(loop)
                volumes:
                  data: {}
                """
            try Data(yaml.utf8).write(to: URL(fileURLWithPath: directory + "/compose.yaml"))
        }

        /// Runs `berth` with its output in files, not pipes (the supervisor it starts outlives it).
        @discardableResult
        func run(_ arguments: [String]) throws -> BerthBinary.Result {
            var environment = ProcessInfo.processInfo.environment
            environment["BERTH_DATA_DIR"] = data
            environment["BERTH_RUNTIME_DIR"] = directory + "/run"
            return try BerthBinary.runWithOutputFiles(arguments, in: directory, environment: environment)
        }

        /// `ps -a --format json`, one object per container, keyed by name.
        func containers() throws -> [String: PsRow] {
            let result = try run(["ps", "-a", "--format", "json"])
            var rows: [String: PsRow] = [:]
            for line in result.stdout.split(separator: "\n") {
                let row = try JSONDecoder().decode(PsRow.self, from: Data(line.utf8))
                rows[row.Name] = row
            }
            return rows
        }
    }

    @Test("the README's main job: the webapp example comes up offline, ps lists it, down -v removes it")
    func readmeMainJob() throws {
        let scratch = try temporaryDirectory([:])
        let port = PublishedPortsTests.freePort()
        let environment = ["BERTH_DATA_DIR": scratch + "/data", "BERTH_RUNTIME_DIR": scratch + "/run", "WEB_PORT": "\(port)"]
        let build = Process()
        build.executableURL = URL(fileURLWithPath: "/bin/bash")
        build.arguments = [repositoryRoot + "/Examples/images/build.sh"]
        build.standardOutput = FileHandle.nullDevice
        try build.run()
        build.waitUntilExit()
        #expect(build.terminationStatus == 0)
        let loaded = try BerthBinary.run(["image", "pull", "oci-archive:Examples/images/busybox.tar"], environment: environment)
        #expect(loaded.status == 0, "\(loaded.stderr)")
        let example = ["-f", "Examples/webapp/compose.yaml", "-p", "readme" + UUID().uuidString.prefix(6).lowercased()]
        let up = try BerthBinary.run(example + ["up", "-d"], environment: environment)
        defer { _ = try? BerthBinary.run(example + ["down", "-v"], environment: environment) }
        #expect(up.status == 0, "\(up.stderr)")
        var page: String?
        for _ in 0..<50 {
            page = PublishedPortsTests.httpGet(port: port)
            if page?.contains("200 OK") == true { break }
            usleep(100_000)
        }
        #expect(page?.contains("200 OK") == true, "web's published port 127.0.0.1:\(port): \(page ?? "nothing answered")")
        let ps = try BerthBinary.run(example + ["ps", "--services", "--status", "running"], environment: environment)
        #expect(ps.stdout == "api\ncache\ndb\nweb\n", "\(ps.stdout)\(ps.stderr)")
        let again = try BerthBinary.run(example + ["up", "-d"], environment: environment)
        #expect(again.stdout.contains("nothing to do"), "\(again.stdout)")
        let down = try BerthBinary.run(example + ["down", "-v"], environment: environment)
        #expect(down.status == 0, "\(down.stderr)")
        let after = try BerthBinary.run(example + ["ps", "-a", "-q"], environment: environment)
        #expect(after.stdout.isEmpty, "\(after.stdout)")
    }

    @Test("up -d with its output on a pipe ends: detached containers do not hold the caller's stdout")
    func upThroughAPipe() throws {
        let stack = try Stack()
        defer { _ = try? stack.run(["down", "-v"]) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: BerthBinary.path)
        process.arguments = ["up", "-d"]
        process.currentDirectoryURL = URL(fileURLWithPath: stack.directory)
        var environment = ProcessInfo.processInfo.environment
        environment["BERTH_DATA_DIR"] = stack.data
        environment["BERTH_RUNTIME_DIR"] = stack.directory + "/run"
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        try? pipe.fileHandleForWriting.close()
        // End of file must come once berth has exited; a container holding the pipe would never
        // give it. Bounded, so a regression fails instead of hanging the suite.
        let descriptor = pipe.fileHandleForReading.fileDescriptor
        let deadline = Date().addingTimeInterval(5)
        var sawEnd = false
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline && !sawEnd {
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 200) > 0 else { continue }
            if buffer.withUnsafeMutableBytes({ read(descriptor, $0.baseAddress, $0.count) }) <= 0 { sawEnd = true }
        }
        #expect(sawEnd, "berth up -d exited but its stdout pipe stayed open")
    }

    @Test("up -d starts two services, ps lists them running, and a second up says nothing to do and keeps the containers")
    func upTwice() throws {
        let stack = try Stack()
        let up = try stack.run(["up", "-d"])
        #expect(up.status == 0, "\(up.stderr)")
        #expect(up.stdout.contains("✔ Container \(stack.project)-db-1  Started"), "\(up.stdout)")
        #expect(up.stdout.contains("✔ Container \(stack.project)-web-1  Started"), "\(up.stdout)")
        #expect(up.stdout.contains("✔ Volume \(stack.project)_data  Created"), "\(up.stdout)")

        let ps = try stack.run(["ps"])
        #expect(ps.status == 0, "\(ps.stderr)")
        let lines = ps.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3, "\(ps.stdout)")
        #expect(lines.first?.hasPrefix("NAME") == true && lines.first?.contains("STATUS") == true, "\(ps.stdout)")
        // Aligned: every row's SERVICE column starts where the header's does.
        let column = lines.first.flatMap { $0.range(of: "SERVICE") }.map { lines[0].distance(from: lines[0].startIndex, to: $0.lowerBound) }
        for (line, service) in zip(lines.dropFirst(), ["db", "web"]) {
            #expect(line.hasPrefix("\(stack.project)-\(service)-1 "), "\(ps.stdout)")
            let start = line.index(line.startIndex, offsetBy: column ?? 0)
            #expect(line[start...].hasPrefix(service + " "), "\(ps.stdout)")
            #expect(line.contains("   Up"), "\(ps.stdout)")
        }

        // `images`, as docker compose's: the image each container uses, by its name in the store.
        let images = try stack.run(["images"])
        #expect(images.status == 0, "\(images.stderr)")
        let imageLines = images.stdout.split(separator: "\n").map(String.init)
        #expect(imageLines.first?.hasPrefix("CONTAINER") == true && imageLines.first?.contains("IMAGE ID") == true, "\(images.stdout)")
        #expect(imageLines.count == 3, "\(images.stdout)")
        for (line, service) in zip(imageLines.dropFirst(), ["db", "web"]) {
            #expect(line.hasPrefix("\(stack.project)-\(service)-1 ") && line.contains("busybox"), "\(images.stdout)")
        }
        let onlyWeb = try stack.run(["images", "--format", "json", "web"])
        let webRows = try JSONSerialization.jsonObject(with: Data(onlyWeb.stdout.utf8)) as? [[String: Any]]
        #expect(webRows?.compactMap { $0["ContainerName"] as? String } == ["\(stack.project)-web-1"], "\(onlyWeb.stdout)")
        #expect((webRows?.first?["ID"] as? String)?.hasPrefix("sha256:") == true, "\(onlyWeb.stdout)")
        #expect(try stack.run(["images", "nope"]).stderr.contains("no such service: nope"))

        let before = try stack.containers()
        #expect(before.values.map(\.State).sorted() == ["running", "running"], "\(before)")
        let again = try stack.run(["up", "-d"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout == "nothing to do\n", "\(again.stdout)")
        #expect(try stack.containers().mapValues(\.ID) == before.mapValues(\.ID))
        #expect(try stack.run(["ps", "-q"]).stdout.split(separator: "\n").sorted() == before.values.map { Substring($0.ID) }.sorted())
        #expect(try stack.run(["ps", "--services"]).stdout == "db\nweb\n")

        // `down SERVICE`, as compose 2.20+: only web goes; db and the project's network stay.
        let unknown = try stack.run(["down", "nope"])
        #expect(unknown.status == 1 && unknown.stderr.contains("no such service: nope"), "\(unknown.stderr)")
        let downWeb = try stack.run(["down", "web"])
        #expect(downWeb.status == 0, "\(downWeb.stderr)")
        #expect(try stack.containers().mapValues(\.State) == ["\(stack.project)-db-1": "running"])
        #expect(!downWeb.stdout.contains("Network"), "\(downWeb.stdout)")
    }

    @Test("changing one service's environment recreates that service only")
    func recreateOne() throws {
        let stack = try Stack()
        #expect(try stack.run(["up", "-d"]).status == 0)
        let before = try stack.containers()
        try stack.write(mode: "fast")
        let up = try stack.run(["up", "-d"])
        #expect(up.status == 0, "\(up.stderr)")
        #expect(up.stdout == "✔ Container \(stack.project)-web-1  Recreated\n", "\(up.stdout)")
        let after = try stack.containers()
        #expect(after["\(stack.project)-db-1"]?.ID == before["\(stack.project)-db-1"]?.ID, "db was left alone")
        #expect(after["\(stack.project)-web-1"]?.ID != before["\(stack.project)-web-1"]?.ID, "web was recreated")
        #expect(after.values.map(\.State) == ["running", "running"], "\(after)")
    }

    @Test("up --dry-run prints the plan with its reasons and creates nothing")
    func dryRun() throws {
        let stack = try Stack()
        let dry = try stack.run(["up", "--dry-run"])
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("create"), "\(dry.stdout)")
        #expect(dry.stdout.contains("web-1") && dry.stdout.contains("db-1") && dry.stdout.contains("volume \(stack.project)_data"),
                "\(dry.stdout)")
        #expect(try stack.containers().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: stack.data + "/volumes/\(stack.project)_data"))

        #expect(try stack.run(["up", "-d"]).status == 0)
        let ids = try stack.containers().mapValues(\.ID)
        try stack.write(mode: "fast")
        let changed = try stack.run(["up", "--dry-run"])
        #expect(changed.stdout.contains("recreate") && changed.stdout.contains("environment"), "\(changed.stdout)")
        #expect(try stack.containers().mapValues(\.ID) == ids, "a dry run recreated nothing")
    }

    @Test("a service the engine refuses fails up with its name and exit 1, and the other service still starts")
    func failureNamesService() throws {
        let stack = try Stack()
        var yaml = try String(contentsOfFile: stack.directory + "/compose.yaml", encoding: .utf8)
        yaml = yaml.replacingOccurrences(of: "    depends_on: [db]\n", with: "    userns_mode: keep-id\n")
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: stack.directory + "/compose.yaml"))
        let up = try stack.run(["up", "-d"])
        #expect(up.status == 1)
        #expect(up.stdout.contains("✘ Container \(stack.project)-web-1  Error"), "\(up.stdout)")
        #expect(up.stderr.hasPrefix("error: service web: "), "\(up.stderr)")
        #expect(up.stderr.contains("userns_mode"), "\(up.stderr)")
        #expect(!up.stderr.contains("berth.reconciler"), "the reconciler's log stays quiet: \(up.stderr)")
        #expect(try stack.containers()["\(stack.project)-db-1"]?.State == "running")
    }

    @Test("down -v removes the containers and the volume, and ps -a is then empty")
    func downVolumes() throws {
        let stack = try Stack()
        #expect(try stack.run(["up", "-d"]).status == 0)
        let volume = stack.data + "/volumes/\(stack.project)_data"
        #expect(FileManager.default.fileExists(atPath: volume))
        let down = try stack.run(["down", "-v", "-t", "2"])
        #expect(down.status == 0, "\(down.stderr)")
        #expect(down.stdout.contains("✔ Container \(stack.project)-web-1  Removed"), "\(down.stdout)")
        #expect(down.stdout.contains("✔ Volume \(stack.project)_data  Removed"), "\(down.stdout)")
        let ps = try stack.run(["ps", "-a"])
        #expect(ps.stdout.split(separator: "\n").count == 1, "only the header: \(ps.stdout)")
        #expect(try stack.containers().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: volume))
    }
}

/// What needs no container: argument checks and the pieces `ps` prints.
@Suite("up and ps arguments")
struct UpPsArgumentTests {
    @Test("up -d refuses the flags that act on attached containers", arguments: [
        ["--abort-on-container-exit"], ["--exit-code-from", "a"], ["--attach", "a"], ["--attach-dependencies"],
    ])
    func detachedRefusesAttachFlags(flags: [String]) throws {
        let directory = try temporaryDirectory(["compose.yaml": Data("services:\n  a:\n    image: busybox\n".utf8)])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try BerthBinary.run(["up", "-d"] + flags, in: directory)
        #expect(result.status != 0)
        #expect(result.stderr.contains("-d and \(flags[0]) are incompatible"), "\(result.stderr)")
    }

    @Test("--scale takes SERVICE=NUM", arguments: [
        (["web=3"], ["web": 3]),
        (["web=3", "db=0"], ["web": 3, "db": 0]),
        (["web"], nil), (["=2"], nil), (["web=-1"], nil), (["web=x"], nil),
    ] as [([String], [String: Int]?)])
    func scale(arguments: [String], expected: [String: Int]?) {
        #expect((try? Up.scales(arguments)) == expected)
    }

    @Test("CREATED reads as docker says it", arguments: [
        (0.0, "0 seconds ago"), (1, "1 second ago"), (59, "59 seconds ago"), (60, "1 minute ago"),
        (7200, "2 hours ago"), (86400 * 3, "3 days ago"),
    ] as [(Double, String)])
    func ago(seconds: Double, expected: String) {
        #expect(PsRow.ago(seconds) == expected)
    }

    @Test("COMMAND joins the recorded entrypoint and command")
    func command() {
        #expect(PsRow.command(["entrypoint": #"["/bin/sh","-c"]"#, "command": #"["echo hi"]"#]) == "/bin/sh -c echo hi")
        #expect(PsRow.command(["command": #"["sleep","1"]"#]) == "sleep 1")
        #expect(PsRow.command(nil) == "")
    }
}
