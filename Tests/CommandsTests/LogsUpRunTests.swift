import Foundation
import Testing
@testable import Commands
import Engine
import EngineAPI

/// `logs`, attached `up` and `run` through the built binary, as root, on busybox containers, each
/// project over data and runtime directories of its own.
@Suite("logs, attached up and run", .enabled(if: ContainerFixture.unavailableReason == nil, "\(ContainerFixture.unavailableReason ?? "")"))
struct LogsUpRunTests {
    /// A project directory with a compose file and its own engine directories; `down` on removal
    /// so that no container outlives a failed test.
    final class Project {
        let directory: String
        let name = "logs" + UUID().uuidString.prefix(8).lowercased()

        init(services: String) throws {
            directory = try temporaryDirectory([:])
            let image = "oci:\(ContainerFixture.images ?? "/nonexistent")/busybox"
            let yaml = "name: \(name)\nservices:\n" + services.replacingOccurrences(of: "IMAGE", with: image)
            try Data(yaml.utf8).write(to: URL(fileURLWithPath: directory + "/compose.yaml"))
        }

        deinit {
            _ = try? run(["down", "-v", "-t", "0", "--remove-orphans"])
            try? FileManager.default.removeItem(atPath: directory)
        }

        var environment: [String: String] {
            var environment = ProcessInfo.processInfo.environment
            for key in environment.keys where key.hasPrefix("COMPOSE_") || key == "NO_COLOR" { environment[key] = nil }
            environment["BERTH_DATA_DIR"] = directory + "/data"
            environment["BERTH_RUNTIME_DIR"] = directory + "/run"
            return environment
        }

        /// Starts `berth` with its output in files (a detached container must not be able to hold
        /// a pipe of the test open).
        func start(_ arguments: [String], stdin: String? = nil) throws -> Process {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: BerthBinary.path)
            process.arguments = arguments
            process.currentDirectoryURL = URL(fileURLWithPath: directory)
            process.environment = environment
            for name in ["stdout", "stderr"] { FileManager.default.createFile(atPath: directory + "/" + name, contents: nil) }
            process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: directory + "/stdout"))
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: directory + "/stderr"))
            if let stdin {
                let input = directory + "/stdin"
                try Data(stdin.utf8).write(to: URL(fileURLWithPath: input))
                process.standardInput = FileHandle(forReadingAtPath: input)
            } else {
                process.standardInput = FileHandle.nullDevice
            }
            try process.run()
            return process
        }

        var stdout: String { (try? String(contentsOfFile: directory + "/stdout", encoding: .utf8)) ?? "" }
        var stderr: String { (try? String(contentsOfFile: directory + "/stderr", encoding: .utf8)) ?? "" }

        @discardableResult
        func run(_ arguments: [String], stdin: String? = nil) throws -> BerthBinary.Result {
            let began = Date()
            let process = try start(arguments, stdin: stdin)
            process.waitUntilExit()
            return BerthBinary.Result(status: process.terminationStatus, stdout: stdout, stderr: stderr,
                                      seconds: Date().timeIntervalSince(began))
        }

        /// The project's containers as `ps -a --format json` lists them: name → state.
        func states() throws -> [String: String] {
            var states: [String: String] = [:]
            for line in try run(["ps", "-a", "--format", "json"]).stdout.split(separator: "\n") {
                let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                if let name = object?["Name"] as? String { states[name] = object?["State"] as? String }
            }
            return states
        }
    }

    static let twoWriters = """
          a:
            image: IMAGE
            command: ["sh", "-c", "echo a1; busybox sleep 1; echo a3"]
          b:
            image: IMAGE
            command: ["sh", "-c", "busybox usleep 500000; echo b2 >&2; busybox sleep 1; echo b4"]

        """

    @Test("logs -f merges the services' lines in time order with padded prefixes and returns once they have stopped; flags shape the output")
    func mergeAndFlags() throws {
        let project = try Project(services: Self.twoWriters)
        let up = try project.run(["up", "-d"])
        #expect(up.status == 0, "\(up.stderr)")
        let followed = try project.run(["logs", "-f"])
        #expect(followed.status == 0, "\(followed.stderr)")
        let a = "\(project.name)-a-1", b = "\(project.name)-b-1"
        #expect(followed.stdout == "\(a)  | a1\n\(b)  | b2\n\(a)  | a3\n\(b)  | b4\n", "\(followed.stdout)")
        #expect(!followed.stdout.contains("\u{1B}["), "no colour when not a terminal")

        #expect(try project.run(["logs", "--no-log-prefix", "b"]).stdout == "b2\nb4\n")
        #expect(try project.run(["logs", "--tail", "1", "--no-log-prefix"]).stdout == "a3\nb4\n")
        #expect(try project.run(["logs", "--index", "1", "--no-log-prefix", "a"]).stdout == "a1\na3\n")
        #expect(try project.run(["logs", "--since", "2099-01-01T00:00:00Z"]).stdout == "")
        #expect(try project.run(["logs", "--until", "2000-01-01T00:00:00Z"]).stdout == "")
        #expect(try project.run(["logs", "--since", "1h", "--no-log-prefix", "a"]).stdout == "a1\na3\n")
        let stamped = try project.run(["logs", "-t", "--no-log-prefix", "a"]).stdout.split(separator: "\n")
        #expect(stamped.count == 2)
        #expect(stamped.first.map { $0.hasSuffix("Z a1") && $0.count == "2026-11-22T17:00:00.000000000Z a1".count } == true, "\(stamped)")
    }

    @Test("bad logs arguments are refused with a message naming the flag or service", arguments: [
        (["logs", "--tail", "x"], "--tail"), (["logs", "--since", "yesterday"], "--since"), (["logs", "nosuch"], "no such service: nosuch"),
    ])
    func badArguments(arguments: [String], message: String) throws {
        let project = try Project(services: Self.twoWriters)
        let result = try project.run(arguments)
        #expect(result.status != 0)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    @Test("logs -f keeps following while the log rotates under it (max-size 1k, max-file 2): every line, in order")
    func followAcrossRotation() throws {
        let project = try Project(services: """
              talk:
                image: IMAGE
                command: ["sh", "-c", "i=0; while [ $$i -lt 60 ]; do echo line-$$i; i=$$((i+1)); busybox usleep 20000; done"]
                logging:
                  options: {max-size: 1k, max-file: "2"}

            """)
        #expect(try project.run(["up", "-d"]).status == 0)
        let followed = try project.run(["logs", "-f", "--no-log-prefix"])
        #expect(followed.status == 0, "\(followed.stderr)")
        #expect(followed.stdout == (0..<60).map { "line-\($0)\n" }.joined(), "\(followed.stdout)")
        let logs = try FileManager.default.subpathsOfDirectory(atPath: project.directory + "/data/containers")
        #expect(logs.contains { $0.hasSuffix("-json.log.1") }, "the log rotated: \(logs)")
        #expect(!logs.contains { $0.hasSuffix("-json.log.2") }, "max-file 2 keeps two files")
    }

    @Test("attached up prints Attaching to…, the prefixed lines and each exit, and returns 0 when all have exited")
    func attachedUp() throws {
        let project = try Project(services: Self.twoWriters)
        let result = try project.run(["up"])
        #expect(result.status == 0, "\(result.stderr)")
        let a = "\(project.name)-a-1", b = "\(project.name)-b-1"
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains("Attaching to \(a), \(b)"), "\(result.stdout)")
        let logLines = lines.filter { $0.contains(" | ") }
        #expect(logLines == ["\(a)  | a1", "\(b)  | b2", "\(a)  | a3", "\(b)  | b4"], "\(result.stdout)")
        #expect(lines.contains("\(a) exited with code 0"))
        #expect(lines.contains("\(b) exited with code 0"))
    }

    @Test("--exit-code-from returns that service's code and stops the others; --abort-on-container-exit stops all at the first exit")
    func exitCodeFrom() throws {
        let project = try Project(services: """
              job:
                image: IMAGE
                command: ["sh", "-c", "echo working; exit 3"]
              server:
                image: IMAGE
                command: ["sh", "-c", "trap 'exit 0' TERM; while true; do busybox sleep 1 & wait; done"]

            """)
        let result = try project.run(["up", "--exit-code-from", "job"])
        #expect(result.status == 3, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("Aborting on container exit..."))
        #expect(result.seconds < 8, "the server was stopped by its TERM trap, not waited out")
        #expect(try project.states()["\(project.name)-server-1"] == "exited")

        let aborted = try project.run(["up", "--abort-on-container-exit", "--force-recreate"])
        #expect(aborted.status == 3, "the first container to exit gives the code: \(aborted.stdout)")
    }

    @Test("Ctrl-C on attached up stops the stack gracefully and exits 130")
    func interrupt() throws {
        let project = try Project(services: """
              server:
                image: IMAGE
                command: ["sh", "-c", "trap 'echo bye; exit 0' TERM; echo ready; while true; do busybox sleep 1 & wait; done"]

            """)
        let process = try project.start(["up"])
        for _ in 0..<100 where !project.stdout.contains("| ready") { usleep(50_000) }
        #expect(project.stdout.contains("| ready"), "\(project.stdout)\(project.stderr)")
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        #expect(process.terminationStatus == 130)
        #expect(project.stdout.contains("Gracefully stopping... (press Ctrl+C again to force)"))
        #expect(project.stdout.contains("| bye"), "the container's last words reached the output: \(project.stdout)")
        #expect(try project.states()["\(project.name)-server-1"] == "exited")
    }

    static let app = """
          db:
            image: IMAGE
            command: ["sh", "-c", "trap 'exit 0' TERM; while true; do busybox sleep 1 & wait; done"]
          app:
            image: IMAGE
            depends_on: [db]
            environment: {FROM_FILE: file}
            command: ["echo", "default command"]

        """

    @Test("run --rm prints the command's output, starts the dependency, and leaves no one-off container")
    func runRemoves() throws {
        let project = try Project(services: Self.app)
        let result = try project.run(["run", "--rm", "app", "echo", "hi"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasSuffix("hi\n"), "\(result.stdout)")
        let states = try project.states()
        #expect(states == ["\(project.name)-db-1": "running"], "db started first, the one-off removed: \(states)")
    }

    @Test("run passes the exit code, -e and the service's environment, -w, -u, --entrypoint and stdin through")
    func runPassesThrough() throws {
        let project = try Project(services: Self.app)
        #expect(try project.run(["run", "--no-deps", "app", "sh", "-c", "exit 7"]).status == 7)
        let env = try project.run(["run", "--rm", "--no-deps", "-e", "FOO=bar", "app", "sh", "-c", "echo $FOO $FROM_FILE"])
        #expect(env.stdout == "bar file\n", "\(env.stderr)")
        let place = try project.run(["run", "--rm", "--no-deps", "-w", "/tmp", "-u", "1234", "app", "sh", "-c", "pwd; id -u"])
        #expect(place.stdout == "/tmp\n1234\n", "\(place.stderr)")
        let entry = try project.run(["run", "--rm", "--no-deps", "--entrypoint", "echo 'two words'", "app"])
        #expect(entry.stdout == "two words echo default command\n", "the service's command follows the new entrypoint: \(entry.stderr)")
        let cat = try project.run(["run", "--rm", "--no-deps", "-T", "app", "cat"], stdin: "through stdin\n")
        #expect(cat.stdout == "through stdin\n", "\(cat.stderr)")
        let states = try project.states()
        #expect(states.count == 1 && states.keys.allSatisfy { $0.hasPrefix("\(project.name)-app-run-") }, "only the run without --rm is kept: \(states)")
        #expect(states.values.first == "exited")
    }

    @Test("run -d prints the one-off's name and leaves it running; up and down leave one-offs alone but logs shows nothing of them")
    func runDetached() throws {
        let project = try Project(services: Self.app)
        let result = try project.run(["run", "-d", "--no-deps", "app", "sh", "-c", "echo detached; trap 'exit 0' TERM; while true; do busybox sleep 1 & wait; done"])
        #expect(result.status == 0, "\(result.stderr)")
        let name = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(name.range(of: "^\(project.name)-app-run-[0-9a-f]{12}$", options: .regularExpression) != nil, "\(name)")
        #expect(try project.states()[name] == "running")
        #expect(try project.run(["run", "--rm", "-d", "app"]).status != 0, "-d and --rm are refused together")
    }
}

/// `-f` means --file before a subcommand and --follow after `logs`.
@Suite("logs -f and the project's -f")
struct LogsFollowFlagTests {
    @Test("arguments are rewritten so that each -f keeps its docker compose meaning", arguments: [
        (["logs", "-f"], ["logs", "--follow"]),
        (["-f", "a.yaml", "logs", "-f", "web"], ["logs", "--file", "a.yaml", "--follow", "web"]),
        (["-p", "demo", "logs", "--tail", "3"], ["logs", "--project-name", "demo", "--tail", "3"]),
        (["-f", "a.yaml", "up", "-d"], ["up", "--file", "a.yaml", "-d"]),
        (["run", "app", "--", "grep", "-f", "x"], ["run", "app", "--", "grep", "-f", "x"]),
    ])
    func rewrite(arguments: [String], expected: [String]) {
        #expect(GlobalOptions.reorder(arguments, subcommands: ["logs", "up", "run"]) == expected)
    }
}

extension LogsUpRunTests {
    @Test("logs -f follows a service across a recreate: the new container's lines follow the old one's")
    func followAcrossRecreate() throws {
        let service = """
              talk:
                image: IMAGE
                environment: {GEN: GENERATION}
                command: ["sh", "-c", "trap 'exit 0' TERM; while true; do echo gen-$$GEN; busybox usleep 100000 & wait; done"]

            """
        let project = try Project(services: service.replacingOccurrences(of: "GENERATION", with: "one"))
        #expect(try project.run(["up", "-d"]).status == 0)
        let follower = Process()
        follower.executableURL = URL(fileURLWithPath: BerthBinary.path)
        follower.arguments = ["logs", "-f", "--no-log-prefix"]
        follower.currentDirectoryURL = URL(fileURLWithPath: project.directory)
        follower.environment = project.environment
        let output = project.directory + "/follow"
        FileManager.default.createFile(atPath: output, contents: nil)
        follower.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        follower.standardInput = FileHandle.nullDevice
        try follower.run()
        defer { if follower.isRunning { follower.terminate() } }
        usleep(400_000)

        let image = "oci:\(ContainerFixture.images ?? "/nonexistent")/busybox"
        let changed = "name: \(project.name)\nservices:\n" + service.replacingOccurrences(of: "GENERATION", with: "two")
            .replacingOccurrences(of: "IMAGE", with: image)
        try Data(changed.utf8).write(to: URL(fileURLWithPath: project.directory + "/compose.yaml"))
        #expect(try project.run(["up", "-d", "-t", "1"]).status == 0)
        usleep(500_000)
        #expect(try project.run(["down", "-t", "1"]).status == 0)
        for _ in 0..<60 where follower.isRunning { usleep(100_000) }
        #expect(!follower.isRunning, "logs -f returned once the service was gone")
        let lines = ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        #expect(lines.contains("gen-one") && lines.contains("gen-two"), "\(lines)")
        let firstTwo = lines.firstIndex(of: "gen-two") ?? 0
        #expect(!lines[firstTwo...].contains("gen-one"), "the old container's lines all come first: \(lines)")
    }
}

/// docker compose's log lines, without containers.
@Suite("log printer")
struct LogPrinterTests {
    static func container(_ name: String, service: String, id: String) -> ObservedContainer {
        ObservedContainer(id: id, name: name, labels: [ResourceLabels.service: service], imageID: "", state: .running)
    }

    static func entry(_ text: String, seconds: Int64 = 1_795_366_800) -> LogEntry {
        LogEntry(time: LogTime(seconds: seconds, nanoseconds: 5), stream: .stdout, text: text)
    }

    @Test("prefixes are padded to the longest name plus one, then ' | '")
    func padding() {
        var printer = LogPrinter(prefix: true, colors: false, timestamps: false)
        let web = Self.container("demo-web-1", service: "web", id: "1"), db = Self.container("demo-db-1", service: "db", id: "2")
        printer.add(web)
        printer.add(db)
        #expect(printer.format(Self.entry("hello\n"), of: web) == "demo-web-1  | hello")
        #expect(printer.format(Self.entry("hi\n"), of: db) == "demo-db-1   | hi")
    }

    @Test("each service gets the next colour of docker compose's rainbow; replicas share it; only the prefix is coloured")
    func colours() {
        var printer = LogPrinter(prefix: true, colors: true, timestamps: false)
        let web1 = Self.container("web-1", service: "web", id: "1"), web2 = Self.container("web-2", service: "web", id: "2")
        let db = Self.container("db-1", service: "db", id: "3")
        [web1, web2, db].forEach { printer.add($0) }
        #expect(printer.format(Self.entry("a\n"), of: web1) == "\u{1B}[36mweb-1  |\u{1B}[0m a")
        #expect(printer.format(Self.entry("b\n"), of: web2) == "\u{1B}[36mweb-2  |\u{1B}[0m b")
        #expect(printer.format(Self.entry("c\n"), of: db) == "\u{1B}[33mdb-1   |\u{1B}[0m c")
    }

    @Test("pieces of a long line are printed as one line; timestamps come after the prefix; no prefix with --no-log-prefix")
    func partialsAndTimestamps() {
        var printer = LogPrinter(prefix: false, colors: false, timestamps: true)
        let web = Self.container("web-1", service: "web", id: "1")
        printer.add(web)
        #expect(printer.format(Self.entry("abc"), of: web) == nil)
        #expect(printer.format(Self.entry("def\n"), of: web) == "2026-11-22T17:00:00.000000005Z abcdef")
        #expect(printer.format(Self.entry("tail"), of: web) == nil)
        #expect(printer.flush(web) == "tail")
    }

    @Test("NO_COLOR and --no-color turn colours off")
    func noColor() {
        #expect(!LogPrinter.wantsColors(noColor: false, environment: ["NO_COLOR": "1"]))
        #expect(!LogPrinter.wantsColors(noColor: true, environment: [:]))
    }
}

extension LogsUpRunTests {
    static let scriptUnavailable: String? = FileManager.default.isExecutableFile(atPath: "/usr/bin/script")
        ? nil : "/usr/bin/script (bsdutils) is missing: it gives berth a terminal"

    @Test("run on a terminal gives the container a pty, relays what is typed, and exits with its code",
          .enabled(if: scriptUnavailable == nil, "\(scriptUnavailable ?? "")"))
    func runOnTerminal() throws {
        let project = try Project(services: Self.app)
        // script(1) runs berth on a new pty and types its own stdin into it.
        let command = "'\(BerthBinary.path)' run --rm --no-deps app sh -c 'tty; read line; echo got-$line; exit 4'"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["-qec", command, "/dev/null"]
        process.currentDirectoryURL = URL(fileURLWithPath: project.directory)
        process.environment = project.environment
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        usleep(300_000)
        input.fileHandleForWriting.write(Data("typed\n".utf8))
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 4, "\(text)")
        #expect(text.contains("/dev/pts/"), "the container's stdin is a terminal: \(text)")
        #expect(text.contains("got-typed"), "what was typed reached the container: \(text)")
        #expect(try project.states().isEmpty, "--rm removed it")
    }
}
