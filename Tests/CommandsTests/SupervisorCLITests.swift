import Foundation
import Testing
@testable import Commands

/// The project supervisor through the real binary, as root, on busybox containers: restart
/// policies, health-gated dependencies, `up --wait`, adoption after `kill -9` of the supervisor,
/// and systemd readiness. Intervals are short so each test takes seconds.
@Suite("project supervisor", .serialized, .enabled(if: ContainerFixture.unavailableReason == nil, "\(ContainerFixture.unavailableReason ?? "")"))
struct SupervisorCLITests {
    static let image = "oci:\(ContainerFixture.images ?? "/nonexistent")/busybox"
    static let loop = #"trap 'exit 0' TERM; while true; do busybox sleep 1 & wait; done"#

    /// A project directory with its own engine directories; `down -v` (which also stops the
    /// supervisor) when the test ends.
    final class Project {
        let directory: String
        let name = "sup" + UUID().uuidString.prefix(8).lowercased()

        init(_ services: String) throws {
            directory = try temporaryDirectory([:])
            let yaml = "name: \(name)\nservices:\n" + services + "\nvolumes:\n  data: {}\n"
            try Data(yaml.utf8).write(to: URL(fileURLWithPath: directory + "/compose.yaml"))
        }

        deinit {
            _ = try? run(["down", "-v", "-t", "1"])
            if let pid = supervisorPID { kill(pid, SIGKILL) }
            try? FileManager.default.removeItem(atPath: directory)
        }

        var runtime: String { directory + "/run" }
        var environment: [String: String] {
            var environment = ProcessInfo.processInfo.environment
            for key in environment.keys where key.hasPrefix("COMPOSE_") || key == "NOTIFY_SOCKET" { environment[key] = nil }
            environment["BERTH_DATA_DIR"] = directory + "/data"
            environment["BERTH_RUNTIME_DIR"] = runtime
            return environment
        }

        /// Runs `berth` with its output in files: a detached supervisor must not hold a pipe open.
        @discardableResult
        func run(_ arguments: [String]) throws -> BerthBinary.Result {
            try BerthBinary.runWithOutputFiles(arguments, in: directory, environment: environment)
        }

        /// `ps -a --format json`, keyed by service.
        func containers() throws -> [String: PsRow] {
            var rows: [String: PsRow] = [:]
            for line in try run(["ps", "-a", "--format", "json"]).stdout.split(separator: "\n") {
                let row = try JSONDecoder().decode(PsRow.self, from: Data(line.utf8))
                rows[row.Service] = row
            }
            return rows
        }

        /// The host pid of a container's process, from the runtime's state.
        func pid(of id: String) -> Int32? {
            guard let data = FileManager.default.contents(atPath: runtime + "/runtime/\(id)/state.json"),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
            return (object["pid"] as? NSNumber)?.int32Value
        }

        /// The pid of the running supervisor, from its pid file, when it is alive.
        var supervisorPID: Int32? {
            guard let text = try? String(contentsOfFile: runtime + "/supervisors/\(name).pid", encoding: .utf8),
                  let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), kill(pid, 0) == 0 else { return nil }
            return pid
        }
    }

    /// Polls `condition` every 50 ms for up to `seconds`; true once it holds.
    static func eventually(_ seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            usleep(50_000)
        }
        return try condition()
    }

    @Test("on-failure:2: a service that exits 1 is restarted twice, then left stopped with its exit code shown")
    func onFailure() throws {
        let project = try Project("""
              fail:
                image: \(Self.image)
                command: ["sh", "-c", "exit 1"]
                restart: on-failure:2
            """)
        #expect(try project.run(["up", "-d"]).status == 0)
        #expect(try Self.eventually(10) { try project.containers()["fail"]?.RestartCount == 2 && project.containers()["fail"]?.State == "exited" })
        // Restarts come 100 and 200 ms apart: a third would have come by now.
        usleep(1_500_000)
        let row = try #require(try project.containers()["fail"])
        #expect(row.State == "exited")
        #expect(row.ExitCode == 1)
        #expect(row.RestartCount == 2)
        #expect(row.Status == "Exited (1), restarted 2 times")
    }

    @Test("always: the container comes back after kill -9 of its process")
    func always() throws {
        let project = try Project("""
              web:
                image: \(Self.image)
                command: ["sh", "-c", "\(Self.loop)"]
                restart: always
            """)
        #expect(try project.run(["up", "-d"]).status == 0)
        let before = try #require(try project.containers()["web"])
        let pid = try #require(project.pid(of: before.ID))
        #expect(try Self.eventually(5) { project.supervisorPID != nil })
        kill(pid, SIGKILL)
        #expect(try Self.eventually(10) {
            guard let row = try project.containers()["web"], row.State == "running", let now = project.pid(of: row.ID) else { return false }
            return now != pid
        })
        let after = try #require(try project.containers()["web"])
        #expect(after.ID == before.ID)
        #expect(after.RestartCount == 1)
    }

    @Test("a service healthy after 2 s gates its dependent: the dependent starts only once the check passes")
    func healthGate() throws {
        let project = try Project("""
              db:
                image: \(Self.image)
                command: ["sh", "-c", "busybox sleep 2; touch /data/ready; \(Self.loop)"]
                volumes: [data:/data]
                healthcheck:
                  test: ["CMD-SHELL", "test -f /data/ready"]
                  interval: 300ms
                  retries: 20
              web:
                image: \(Self.image)
                command: ["sh", "-c", "test -f /data/ready || exit 3; \(Self.loop)"]
                volumes: [data:/data]
                depends_on:
                  db: {condition: service_healthy}
            """)
        let up = try project.run(["up", "-d"])
        #expect(up.status == 0, "\(up.stderr)")
        #expect(up.seconds >= 2)
        let rows = try project.containers()
        #expect(rows["db"]?.Health == "healthy")
        #expect(rows["web"]?.State == "running", "web started before db was healthy: \(String(describing: rows["web"]))")
    }

    @Test("service_completed_successfully: the migration runs to exit 0 before the app starts")
    func migrationFirst() throws {
        let project = try Project("""
              migrate:
                image: \(Self.image)
                command: ["sh", "-c", "busybox sleep 1; touch /data/migrated"]
                volumes: [data:/data]
              app:
                image: \(Self.image)
                command: ["sh", "-c", "test -f /data/migrated || exit 3; \(Self.loop)"]
                volumes: [data:/data]
                depends_on:
                  migrate: {condition: service_completed_successfully}
            """)
        let up = try project.run(["up", "-d"])
        #expect(up.status == 0, "\(up.stderr)")
        let rows = try project.containers()
        #expect(rows["migrate"]?.State == "exited")
        #expect(rows["migrate"]?.ExitCode == 0)
        #expect(rows["app"]?.State == "running")
    }

    @Test("a missing optional dependency (required: false) is one warning, and its dependent starts without waiting")
    func optionalDependency() throws {
        let project = try Project("""
              web:
                image: \(Self.image)
                command: ["sh", "-c", "\(Self.loop)"]
                depends_on:
                  cache: {condition: service_healthy, required: false}
            """)
        let up = try project.run(["up", "-d"])
        #expect(up.status == 0, "\(up.stderr)")
        #expect(up.stderr.components(separatedBy: "optional dependency").count == 2, "\(up.stderr)")
        #expect(up.stderr.contains("services.web.depends_on.cache"))
        #expect(try project.containers()["web"]?.State == "running")
    }

    @Test("up --wait fails fast on an unhealthy service, naming it, with its last log lines")
    func waitUnhealthy() throws {
        let project = try Project("""
              sick:
                image: \(Self.image)
                command: ["sh", "-c", "echo booting sick; \(Self.loop)"]
                healthcheck:
                  test: ["CMD-SHELL", "echo probe says no; exit 1"]
                  interval: 200ms
                  retries: 2
              fine:
                image: \(Self.image)
                command: ["sh", "-c", "\(Self.loop)"]
            """)
        let up = try project.run(["up", "-d", "--wait", "--wait-timeout", "30"])
        #expect(up.status != 0)
        #expect(up.seconds < 10)
        #expect(up.stderr.contains("service sick"), "\(up.stderr)")
        #expect(up.stderr.contains("unhealthy"), "\(up.stderr)")
        #expect(up.stderr.contains("probe says no"), "\(up.stderr)")
        #expect(up.stderr.contains("booting sick"), "\(up.stderr)")
    }

    @Test("up --wait returns once every service runs and is healthy, a one-shot that exited 0 counting as done")
    func waitHealthy() throws {
        let project = try Project("""
              db:
                image: \(Self.image)
                command: ["sh", "-c", "busybox sleep 1; touch /tmp/ok; \(Self.loop)"]
                healthcheck:
                  test: ["CMD", "busybox", "test", "-f", "/tmp/ok"]
                  interval: 200ms
                  retries: 30
              once:
                image: \(Self.image)
                command: ["true"]
            """)
        let up = try project.run(["up", "-d", "--wait", "--wait-timeout", "20"])
        #expect(up.status == 0, "\(up.stderr)")
        #expect(try project.containers()["db"]?.Health == "healthy")
    }

    @Test("after kill -9 of the supervisor, ps shows the truth and starts a new one, and restarts still work")
    func supervisorKilled() throws {
        let project = try Project("""
              web:
                image: \(Self.image)
                command: ["sh", "-c", "\(Self.loop)"]
                restart: always
            """)
        #expect(try project.run(["up", "-d"]).status == 0)
        #expect(try Self.eventually(5) { project.supervisorPID != nil })
        let first = try #require(project.supervisorPID)
        kill(first, SIGKILL)
        #expect(try Self.eventually(5) { project.supervisorPID == nil })
        let row = try #require(try project.containers()["web"])
        #expect(row.State == "running")
        #expect(try Self.eventually(5) { project.supervisorPID.map { $0 != first } ?? false })
        let pid = try #require(project.pid(of: row.ID))
        kill(pid, SIGKILL)
        #expect(try Self.eventually(10) {
            guard let row = try project.containers()["web"], row.State == "running", let now = project.pid(of: row.ID) else { return false }
            return now != pid
        })
        #expect(try project.containers()["web"]?.RestartCount == 1)
    }

    @Test("down stops the supervisor once the project has no containers")
    func downStopsSupervisor() throws {
        let project = try Project("""
              web:
                image: \(Self.image)
                command: ["sh", "-c", "\(Self.loop)"]
                restart: always
            """)
        #expect(try project.run(["up", "-d"]).status == 0)
        #expect(try Self.eventually(5) { project.supervisorPID != nil })
        #expect(try project.run(["down", "-t", "1"]).status == 0)
        #expect(try Self.eventually(5) { project.supervisorPID == nil })
        #expect(try project.containers().isEmpty)
    }

    @Test("under systemd (NOTIFY_SOCKET), supervise brings the stack up and sends READY=1 only once the health-gated service is healthy; STOPPING=1 on SIGTERM")
    func notifyReadiness() throws {
        let project = try Project("""
              db:
                image: \(Self.image)
                command: ["sh", "-c", "busybox sleep 1.5; touch /tmp/ok; \(Self.loop)"]
                healthcheck:
                  test: ["CMD", "busybox", "test", "-f", "/tmp/ok"]
                  interval: 200ms
                  retries: 30
              web:
                image: \(Self.image)
                command: ["sh", "-c", "\(Self.loop)"]
                depends_on:
                  db: {condition: service_healthy}
            """)
        let listener = try NotifyListener(path: project.directory + "/notify.sock")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: BerthBinary.path)
        process.arguments = ["supervise"]
        process.currentDirectoryURL = URL(fileURLWithPath: project.directory)
        var environment = project.environment
        environment["NOTIFY_SOCKET"] = listener.path
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        let start = Date()
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        var messages: [String] = []
        while Date().timeIntervalSince(start) < 30, !messages.contains(where: { $0.contains("READY=1") }) {
            if let message = listener.receive(timeout: 1) { messages.append(message) }
        }
        let ready = try #require(messages.first { $0.contains("READY=1") }, "no READY=1; got \(messages)")
        #expect(Date().timeIntervalSince(start) >= 1.5)
        #expect(ready.contains("STATUS="))
        let rows = try project.containers()
        #expect(rows["db"]?.Health == "healthy")
        #expect(rows["web"]?.State == "running")
        process.terminate()  // SIGTERM, as systemd sends it after ExecStop
        var stopping = false
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, !stopping {
            if let message = listener.receive(timeout: 1), message.contains("STOPPING=1") { stopping = true }
        }
        #expect(stopping)
        process.waitUntilExit()
        // ExecStop's job: nothing of the project is left running.
        #expect(try project.run(["down", "-t", "1"]).status == 0)
        #expect(try project.containers().isEmpty)
    }
}

/// A unix datagram socket standing in for systemd's notify socket.
final class NotifyListener {
    let path: String
    private let descriptor: Int32

    init(path: String) throws {
        self.path = path
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard descriptor >= 0, bound == 0 else { throw POSIXError(.EADDRNOTAVAIL) }
    }

    deinit {
        close(descriptor)
        unlink(path)
    }

    func receive(timeout: Double) -> String? {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, Int32(timeout * 1000)) == 1 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(descriptor, &buffer, buffer.count, 0)
        return count > 0 ? String(decoding: buffer[..<count], as: UTF8.self) : nil
    }
}
