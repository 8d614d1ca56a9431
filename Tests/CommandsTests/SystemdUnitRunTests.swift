import Engine
import Foundation
import Supervisor
import SystemdUnits
import Testing
@testable import Commands

/// Generated units run by hand, as systemd would run them: `berth systemd --files` writes the
/// units, the test reads their `ExecStart=`/`ExecStop=` with `UnitFile` (so a generator change
/// is caught), runs them with `NOTIFY_SOCKET` pointing at a datagram socket it binds, and checks
/// what arrives and what `ps` shows. Real busybox containers, as root; seconds per test.
@Suite("generated units run by hand", .serialized, .enabled(if: ContainerFixture.unavailableReason == nil, "\(ContainerFixture.unavailableReason ?? "")"))
struct SystemdUnitRunTests {
    typealias Project = SupervisorCLITests.Project
    static let image = SupervisorCLITests.image
    static let loop = SupervisorCLITests.loop

    /// db becomes healthy about 2 s after it starts (its check looks for a file it creates then);
    /// web waits for that; job runs once.
    static var services: String {
        """
          db:
            image: \(image)
            command: ["sh", "-c", "busybox sleep 2; touch /tmp/ok; \(loop)"]
            healthcheck:
              test: ["CMD", "busybox", "test", "-f", "/tmp/ok"]
              interval: 200ms
              retries: 50
          web:
            image: \(image)
            command: ["sh", "-c", "\(loop)"]
            depends_on:
              db: {condition: service_healthy}
        """
    }

    /// The units `berth systemd` writes for `project`, by file name.
    static func units(of project: Project, perService: Bool) throws -> [String: UnitFile] {
        let directory = project.directory + "/units"
        let result = try project.run(["systemd", "--system", "--files", directory] + (perService ? ["--per-service"] : []))
        try #require(result.status == 0, "\(result.stderr)")
        var units: [String: UnitFile] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
            units[name] = try UnitFile(parsing: String(contentsOfFile: directory + "/" + name, encoding: .utf8))
        }
        return units
    }

    /// One `Exec…=` value of a unit's `[Service]` as an argument vector.
    static func command(_ unit: UnitFile?, _ key: String) throws -> [String] {
        let line = try #require(unit?[section: "Service"]?.values(key).first, "no \(key)= in the unit")
        return ExecLine.split(line)
    }

    /// A unit's main process, started as systemd starts it: in its `WorkingDirectory=`, with
    /// `NOTIFY_SOCKET` set (systemd sets it for `Type=notify` only).
    static func start(_ arguments: [String], of unit: UnitFile?, in project: Project, notify: NotifyListener?) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        let directory = unit?[section: "Service"]?.values("WorkingDirectory").first ?? project.directory
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var environment = project.environment
        environment["NOTIFY_SOCKET"] = notify?.path
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: "/dev/null"))
        try process.run()
        return process
    }

    /// Runs a command line (`ExecStop=`) to its end, as systemd does, and returns its status.
    static func run(_ arguments: [String], in project: Project) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        process.currentDirectoryURL = URL(fileURLWithPath: project.directory)
        process.environment = project.environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Messages until one contains `wanted` or `seconds` pass.
    static func receive(_ listener: NotifyListener, until wanted: String, seconds: Double) -> [String] {
        var messages: [String] = []
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline, !messages.contains(where: { $0.contains(wanted) }) {
            if let message = listener.receive(timeout: 0.5) { messages.append(message) }
        }
        return messages
    }

    /// Waits for `process` to end, at most `seconds`; true when it did.
    static func ends(_ process: Process, within seconds: Double) -> Bool {
        SupervisorCLITests.eventually(seconds) { !process.isRunning }
    }

    @Test("the project unit's ExecStart: READY=1 only once the gated service is healthy; ExecStop leaves nothing running; SIGTERM gives STOPPING=1 and an exit")
    func projectUnit() throws {
        let project = try Project(Self.services)
        let unit = try #require(try Self.units(of: project, perService: false)[UnitGenerator.unitName(for: project.name)])
        #expect(unit[section: "Service"]?.values("Type") == ["notify"])
        let listener = try NotifyListener(path: project.directory + "/notify.sock")
        let started = Date()
        let main = try Self.start(Self.command(unit, "ExecStart"), of: unit, in: project, notify: listener)
        defer { if main.isRunning { kill(main.processIdentifier, SIGKILL) } }

        let messages = Self.receive(listener, until: "READY=1", seconds: 30)
        let ready = try #require(messages.first { $0.contains("READY=1") }, "no READY=1; got \(messages)")
        #expect(Date().timeIntervalSince(started) >= 2, "READY=1 before db could be healthy")
        #expect(ready.contains("all ready"), "\(ready)")
        let rows = try project.containers()
        #expect(rows["db"]?.Health == "healthy")
        #expect(rows["web"]?.State == "running")

        #expect(try Self.run(Self.command(unit, "ExecStop"), in: project) == 0)
        let afterStop = try project.containers()
        #expect(afterStop.values.allSatisfy { $0.State != "running" }, "\(afterStop)")
        kill(main.processIdentifier, SIGTERM)
        let stopping = Self.receive(listener, until: "STOPPING=1", seconds: 10)
        #expect(stopping.contains { $0.contains("STOPPING=1") }, "\(stopping)")
        #expect(Self.ends(main, within: 10))
        #expect(main.terminationStatus == 0)
    }

    @Test("a per-service unit's ExecStart brings up only its service and sends READY=1 once it is healthy; its ExecStop ends the main process with 0")
    func healthyServiceUnit() throws {
        let project = try Project(Self.services)
        let units = try Self.units(of: project, perService: true)
        let unit = try #require(units[UnitGenerator.serviceUnitName(project: project.name, service: "db")])
        let start = try Self.command(unit, "ExecStart")
        #expect(Array(start.suffix(5)) == ["supervise", "--service", "db", "--ready", "healthy"])
        let listener = try NotifyListener(path: project.directory + "/notify.sock")
        let started = Date()
        let main = try Self.start(start, of: unit, in: project, notify: listener)
        defer { if main.isRunning { kill(main.processIdentifier, SIGKILL) } }

        let messages = Self.receive(listener, until: "READY=1", seconds: 30)
        #expect(messages.contains { $0.contains("READY=1") }, "no READY=1; got \(messages)")
        #expect(Date().timeIntervalSince(started) >= 2, "READY=1 before db could be healthy")
        let rows = try project.containers()
        #expect(rows["db"]?.Health == "healthy")
        #expect(rows["web"] == nil, "--no-deps: web is another unit's")

        // systemd runs ExecStop, then sends SIGTERM to a main process still there.
        #expect(try Self.run(Self.command(unit, "ExecStop"), in: project) == 0)
        if !Self.ends(main, within: 5) { kill(main.processIdentifier, SIGTERM) }
        #expect(Self.receive(listener, until: "STOPPING=1", seconds: 10).contains { $0.contains("STOPPING=1") })
        #expect(Self.ends(main, within: 10))
        #expect(main.terminationStatus == 0)
        #expect(try project.containers().values.allSatisfy { $0.State != "running" })
    }

    @Test("a started unit is ready once its container runs, adopts the container ExecReload recreates, is left alone by the project supervisor, and fails with the container's status when the container dies")
    func startedServiceUnitFollowsItsContainer() throws {
        let project = try Project("""
              web:
                image: \(Self.image)
                command: ["sh", "-c", "\(Self.loop)"]
                restart: always
            """)
        let units = try Self.units(of: project, perService: true)
        let unit = try #require(units[UnitGenerator.serviceUnitName(project: project.name, service: "web")])
        #expect(unit[section: "Service"]?.values("Restart") == ["always"])
        let listener = try NotifyListener(path: project.directory + "/notify.sock")
        let main = try Self.start(Self.command(unit, "ExecStart"), of: unit, in: project, notify: listener)
        defer { if main.isRunning { kill(main.processIdentifier, SIGKILL) } }
        #expect(Self.receive(listener, until: "READY=1", seconds: 20).contains { $0.contains("READY=1") })

        // A second main process for the same service (a unit file copied by hand) must fail.
        let second = try project.run(Array(Self.command(unit, "ExecStart").dropFirst()))
        #expect(second.status == 1)
        #expect(second.stderr.contains("service web of \(project.name) already has a supervisor (pid \(main.processIdentifier))"), "\(second.stderr)")

        // ExecReload after a compose change recreates the container; the unit adopts the new one.
        let first = try #require(try project.containers()["web"])
        let compose = project.directory + "/compose.yaml"
        let changed = try String(contentsOfFile: compose, encoding: .utf8).replacingOccurrences(of: "restart: always", with: "restart: always\n    environment: {CHANGED: \"1\"}")
        try Data(changed.utf8).write(to: URL(fileURLWithPath: compose))
        #expect(try Self.run(Self.command(unit, "ExecReload"), in: project) == 0)
        usleep(1_000_000)
        #expect(main.isRunning, "the reload ended the unit's main process")
        let row = try #require(try project.containers()["web"])
        #expect(row.ID != first.ID && row.State == "running", "\(row)")

        // A project supervisor started meanwhile (`ps` starts one) must leave web to its unit.
        #expect(SupervisorCLITests.eventually(5) { project.supervisorPID != nil })
        let projectSupervisor = SupervisorControl(locations: EngineSession.locations(environment: project.environment), project: project.name)
        // Its pid file comes before its socket: wait for an answer.
        var answer: String?
        _ = SupervisorCLITests.eventually(5) { answer = projectSupervisor.send("status", timeout: 1); return answer != nil }
        let status = try #require(answer, "the project supervisor does not answer")
        #expect(status == "[]", "the project supervisor tracks the unit's containers: \(status)")
        let pid = try #require(project.pid(of: row.ID))
        kill(pid, SIGKILL)
        #expect(Self.ends(main, within: 10))
        #expect(main.terminationStatus == 137, "SIGKILL is 128 + 9, for systemd's Restart=")
        usleep(500_000)
        #expect(try project.containers()["web"]?.State == "exited", "restart: always is systemd's job here, not the project supervisor's")
    }

    @Test("a completed unit (Type=oneshot) runs its job and exits with the job's status", arguments: [0, 3])
    func completedServiceUnit(status: Int) throws {
        let project = try Project("""
              job:
                image: \(Self.image)
                command: ["sh", "-c", "busybox sleep 0.3; exit \(status)"]
              app:
                image: \(Self.image)
                command: ["sh", "-c", "\(Self.loop)"]
                depends_on:
                  job: {condition: service_completed_successfully}
            """)
        let units = try Self.units(of: project, perService: true)
        let unit = try #require(units[UnitGenerator.serviceUnitName(project: project.name, service: "job")])
        #expect(unit[section: "Service"]?.values("Type") == ["oneshot"])
        let main = try Self.start(Self.command(unit, "ExecStart"), of: unit, in: project, notify: nil)
        defer { if main.isRunning { kill(main.processIdentifier, SIGKILL) } }
        #expect(Self.ends(main, within: 20))
        #expect(main.terminationStatus == Int32(status))
        #expect(try project.containers()["job"]?.ExitCode == Int32(status))
    }

    /// Containers (`state[:health or exit code[:user]]`), readiness, whether READY=1 went out,
    /// and the verdict.
    static let verdicts: [([String], UnitReadiness, Bool, String)] = [
        (["running"], .started, false, "ready"),
        (["running", "created"], .started, false, "waiting"),
        (["running:healthy"], .healthy, false, "ready"),
        (["running:starting"], .healthy, false, "waiting"),
        (["running:unhealthy"], .healthy, false, "ended 1"),
        (["running:unhealthy"], .healthy, true, "ready"),
        (["running"], .healthy, false, "ended 1"),
        (["running", "exited:3"], .started, true, "ended 3"),
        (["exited:0"], .started, true, "ended 0"),
        (["exited:143:user"], .started, true, "stopped"),
        (["exited:0", "running"], .completed, false, "waiting"),
        (["exited:0", "exited:0"], .completed, false, "ended 0"),
        (["exited:0", "exited:2"], .completed, false, "ended 2"),
        ([], .started, true, "stopped"),
    ]

    @Test("a per-service unit is waiting, ready or ended as its containers say", arguments: verdicts)
    func verdict(states: [String], readiness: UnitReadiness, wasReady: Bool, expected: String) {
        let containers = states.enumerated().map { index, text in
            let parts = text.split(separator: ":").map(String.init)
            var container = SupervisedContainer(id: "\(index)", name: "p-s-\(index + 1)", service: "s",
                                                state: SupervisedContainer.State(rawValue: parts[0]) ?? .created)
            if container.state == .running, parts.count > 1 {
                container.healthCheck = HealthCheck(test: .exec(["true"]))
                container.health = HealthState.Status(rawValue: parts[1]).map { HealthState(status: $0) }
            }
            if container.state == .exited { container.exitCode = parts.count > 1 ? Int32(parts[1]) : nil }
            container.stoppedByUser = parts.count > 2 && parts[2] == "user"
            return container
        }
        let verdict = ServiceVerdict.of(containers, readiness: readiness, wasReady: wasReady)
        let rendered = switch verdict {
        case .waiting: "waiting"
        case .ready: "ready"
        case .ended(let code, _): "ended \(code)"
        case .stopped: "stopped"
        }
        #expect(rendered == expected, "\(verdict)")
    }
}

/// `supervise --service` refusing what it cannot do, before touching anything.
@Suite struct SuperviseServiceArgumentTests {
    @Test("supervise's per-service flags: a bad combination or name fails with one clear line", arguments: [
        (["supervise", "--ready", "healthy"], 64, "--ready needs --service"),
        (["supervise", "--service", "web", "--ready", "soon"], 64, "one of 'started', 'healthy' or 'completed'"),
        (["supervise", "--service", "nosuch"], 1, "no such service: nosuch"),
        (["supervise", "--service", "web", "--network-services"], 64, "--network-services and --service are different units' main processes"),
    ])
    func refuses(_ arguments: [String], status: Int32, message: String) throws {
        let directory = try temporaryDirectory(["compose.yaml": Data("name: bad\nservices:\n  web:\n    image: busybox\n".utf8)])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try BerthBinary.run(arguments, in: directory, environment: ["BERTH_RUNTIME_DIR": directory + "/run", "BERTH_DATA_DIR": directory + "/data"])
        #expect(result.status == status)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }
}

/// Splits an `Exec…=` value as systemd does for what the generator writes: words separated by
/// blanks, double quotes with backslash escapes, `%%` and `$$` for a literal `%` and `$`.
enum ExecLine {
    static func split(_ line: String) -> [String] {
        var words: [String] = []
        var word = "", inWord = false, quoted = false, escaped = false
        for character in line.replacingOccurrences(of: "%%", with: "%").replacingOccurrences(of: "$$", with: "$") {
            if escaped {
                word.append(character == "n" ? "\n" : character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "\"" {
                quoted.toggle()
                inWord = true
            } else if character == " " && !quoted {
                if inWord { words.append(word) }
                word = ""
                inWord = false
            } else {
                word.append(character)
                inWord = true
            }
        }
        if inWord { words.append(word) }
        return words
    }
}
