import Foundation
import Testing
@testable import Commands

/// A project of its own for the lifecycle commands: compose text with `IMAGE` standing for the
/// busybox fixture, its own data and runtime directories, `down -v` when released.
final class CommandStack {
    let directory: String
    let project = "cmd" + UUID().uuidString.prefix(8).lowercased()
    static let loop = #"["sh", "-c", "trap 'exit 0' TERM; while true; do busybox sleep 1 & wait; done"]"#

    /// `db` and `web` (which depends on db), both looping until SIGTERM.
    static let twoServices = """
        services:
          db:
            image: IMAGE
            command: \(loop)
          web:
            image: IMAGE
            depends_on: [db]
            environment: {MODE: test}
            command: \(loop)
        """

    init(_ yaml: String = CommandStack.twoServices) throws {
        directory = try temporaryDirectory([:])
        let text = "name: \(project)\n" + yaml.replacingOccurrences(of: "IMAGE", with: "oci:\(ContainerFixture.images ?? "/nonexistent")/busybox")
        try Data(text.utf8).write(to: URL(fileURLWithPath: directory + "/compose.yaml"))
    }

    deinit {
        _ = try? run(["down", "-v", "-t", "1"])
        try? FileManager.default.removeItem(atPath: directory)
    }

    var environment: [String: String] {
        ["BERTH_DATA_DIR": directory + "/data", "BERTH_RUNTIME_DIR": directory + "/run"]
    }

    /// Runs `berth` with its output in files: a container started by it must not hold a pipe.
    @discardableResult
    func run(_ arguments: [String], stdin: String? = nil) throws -> BerthBinary.Result {
        let process = try start(arguments, output: "out", stdin: stdin)
        process.waitUntilExit()
        return BerthBinary.Result(status: process.terminationStatus,
                                  stdout: (try? String(contentsOfFile: directory + "/out.stdout", encoding: .utf8)) ?? "",
                                  stderr: (try? String(contentsOfFile: directory + "/out.stderr", encoding: .utf8)) ?? "",
                                  seconds: 0)
    }

    /// Starts `berth` without waiting; its output goes to `<directory>/<output>.stdout|.stderr`.
    func start(_ arguments: [String], output: String, stdin: String? = nil) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: BerthBinary.path)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var environment = ProcessInfo.processInfo.environment
        for key in environment.keys where key.hasPrefix("COMPOSE_") { environment[key] = nil }
        environment.merge(self.environment) { $1 }
        process.environment = environment
        let outPath = directory + "/\(output).stdout", errPath = directory + "/\(output).stderr"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        if let stdin {
            let inPath = directory + "/\(output).stdin"
            try Data(stdin.utf8).write(to: URL(fileURLWithPath: inPath))
            process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: inPath))
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        try process.run()
        return process
    }

    /// `ps -a --format json`, keyed by service and replica (`web-1`).
    func containers() throws -> [String: PsRow] {
        var rows: [String: PsRow] = [:]
        for line in try run(["ps", "-a", "--format", "json"]).stdout.split(separator: "\n") {
            let row = try JSONDecoder().decode(PsRow.self, from: Data(line.utf8))
            rows[String(row.Name.dropFirst(project.count + 1))] = row
        }
        return rows
    }

    func states() throws -> [String: String] { try containers().mapValues(\.State) }
}

@Suite("lifecycle commands", .enabled(if: ContainerFixture.unavailableReason == nil, "\(ContainerFixture.unavailableReason ?? "")"))
struct LifecycleCommandsTests {
    @Test("stop stops dependents first and keeps the containers; start starts dependencies first with the same containers")
    func stopStart() throws {
        let stack = try CommandStack()
        #expect(try stack.run(["up", "-d"]).status == 0)
        let ids = try stack.containers().mapValues(\.ID)

        let stop = try stack.run(["stop", "-t", "5"])
        #expect(stop.status == 0, "\(stop.stderr)")
        #expect(stop.stdout == "✔ Container \(stack.project)-web-1  Stopped\n✔ Container \(stack.project)-db-1  Stopped\n", "\(stop.stdout)")
        #expect(try stack.states() == ["db-1": "exited", "web-1": "exited"])
        #expect(try stack.run(["ps", "-q"]).stdout.isEmpty, "ps without -a shows no stopped container")

        let start = try stack.run(["start"])
        #expect(start.status == 0, "\(start.stderr)")
        #expect(start.stdout == "✔ Container \(stack.project)-db-1  Started\n✔ Container \(stack.project)-web-1  Started\n", "\(start.stdout)")
        #expect(try stack.states() == ["db-1": "running", "web-1": "running"])
        #expect(try stack.containers().mapValues(\.ID) == ids, "start reuses the containers")
    }

    @Test("stop and start take service names; an unknown service is an error naming it")
    func serviceScope() throws {
        let stack = try CommandStack()
        #expect(try stack.run(["up", "-d"]).status == 0)
        #expect(try stack.run(["stop", "web"]).stdout == "✔ Container \(stack.project)-web-1  Stopped\n")
        #expect(try stack.states() == ["db-1": "running", "web-1": "exited"])
        let unknown = try stack.run(["stop", "nosuch"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr == "error: no such service: nosuch\n", "\(unknown.stderr)")
        #expect(try stack.run(["start", "web"]).status == 0)
        #expect(try stack.states() == ["db-1": "running", "web-1": "running"])
    }

    @Test("restart stops and starts each container under the same id, and its process is new")
    func restart() throws {
        let stack = try CommandStack()
        #expect(try stack.run(["up", "-d"]).status == 0)
        let before = try stack.containers()
        // Field 22 of /proc/1/stat: when the container's first process started.
        let startedBefore = try stack.run(["exec", "-T", "web", "busybox", "cut", "-d", " ", "-f", "22", "/proc/1/stat"]).stdout
        let restart = try stack.run(["restart", "-t", "2"])
        #expect(restart.status == 0, "\(restart.stderr)")
        #expect(restart.stdout == "✔ Container \(stack.project)-db-1  Started\n✔ Container \(stack.project)-web-1  Started\n", "\(restart.stdout)")
        let after = try stack.containers()
        #expect(after.mapValues(\.ID) == before.mapValues(\.ID))
        #expect(after.mapValues(\.State) == ["db-1": "running", "web-1": "running"])
        let startedAfter = try stack.run(["exec", "-T", "web", "busybox", "cut", "-d", " ", "-f", "22", "/proc/1/stat"]).stdout
        #expect(!startedBefore.isEmpty && startedBefore != startedAfter, "PID 1 started again: \(startedBefore) / \(startedAfter)")
    }

    @Test("kill sends SIGKILL by default (exit 137) and -s another signal; with nothing running it says so")
    func kill() throws {
        let stack = try CommandStack()
        #expect(try stack.run(["up", "-d"]).status == 0)
        let kill = try stack.run(["kill", "web"])
        #expect(kill.status == 0, "\(kill.stderr)")
        #expect(kill.stdout == "✔ Container \(stack.project)-web-1  Killed\n", "\(kill.stdout)")
        let term = try stack.run(["kill", "-s", "TERM", "db"])
        #expect(term.status == 0, "\(term.stderr)")
        var rows: [String: PsRow] = [:]
        for _ in 0..<50 {
            rows = try stack.containers()
            if rows.values.allSatisfy({ $0.State == "exited" }) { break }
            usleep(100_000)
        }
        #expect(rows["web-1"]?.ExitCode == 137, "\(rows)")
        #expect(rows["db-1"]?.ExitCode == 0, "the trap turned TERM into exit 0: \(rows)")
        let nothing = try stack.run(["kill"])
        #expect(nothing.status == 0)
        #expect(nothing.stderr == "no container to kill\n", "\(nothing.stderr)")
        let badSignal = try stack.run(["start"])
        #expect(badSignal.status == 0)
        let unknown = try stack.run(["kill", "-s", "NOPE"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("unknown signal \"NOPE\""), "\(unknown.stderr)")
    }

    @Test("rm asks first and an unanswered prompt removes nothing; -f removes stopped containers only; -s -f stops and removes")
    func rm() throws {
        let stack = try CommandStack()
        #expect(try stack.run(["up", "-d"]).status == 0)
        #expect(try stack.run(["stop", "web"]).status == 0)
        let asked = try stack.run(["rm"])
        #expect(asked.status == 0)
        #expect(asked.stdout.hasPrefix("Going to remove \(stack.project)-web-1\n? Are you sure? (y/N) "), "\(asked.stdout)")
        #expect(try stack.states().count == 2, "nothing removed without an answer")
        let yes = try stack.run(["rm"], stdin: "y\n")
        #expect(yes.stdout.contains("✔ Container \(stack.project)-web-1  Removed"), "\(yes.stdout)")
        #expect(try stack.states() == ["db-1": "running"], "the running container stays")
        let none = try stack.run(["rm", "-f"])
        #expect(none.stderr == "No stopped containers\n", "\(none.stderr)")
        let forced = try stack.run(["rm", "-s", "-f", "-v"])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(forced.stdout == "✔ Container \(stack.project)-db-1  Stopped\n✔ Container \(stack.project)-db-1  Removed\n", "\(forced.stdout)")
        #expect(try stack.states().isEmpty)
    }

    @Test("pause freezes the running containers, ps shows them paused, unpause thaws them")
    func pauseUnpause() throws {
        let stack = try CommandStack()
        #expect(try stack.run(["up", "-d"]).status == 0)
        let pause = try stack.run(["pause"])
        #expect(pause.status == 0, "\(pause.stderr)")
        #expect(pause.stdout == "✔ Container \(stack.project)-web-1  Paused\n✔ Container \(stack.project)-db-1  Paused\n", "\(pause.stdout)")
        #expect(try stack.states() == ["db-1": "paused", "web-1": "paused"])
        #expect(try stack.run(["ps", "--status", "paused", "--services"]).stdout == "db\nweb\n")
        let unpause = try stack.run(["unpause", "db"])
        #expect(unpause.stdout == "✔ Container \(stack.project)-db-1  Unpaused\n", "\(unpause.stdout)")
        #expect(try stack.states() == ["db-1": "running", "web-1": "paused"])
        #expect(try stack.run(["stop", "-t", "2"]).status == 0, "a paused container stops too")
        #expect(try stack.states() == ["db-1": "exited", "web-1": "exited"])
    }

    @Test("create makes containers without starting them; start starts them; down removes created containers")
    func createStartDown() throws {
        let stack = try CommandStack()
        let create = try stack.run(["create"])
        #expect(create.status == 0, "\(create.stderr)")
        #expect(create.stdout.contains("✔ Container \(stack.project)-web-1  Created"), "\(create.stdout)")
        #expect(try stack.states() == ["db-1": "created", "web-1": "created"])
        #expect(try stack.run(["create", "--no-recreate"]).stdout == "nothing to do\n")
        let down = try stack.run(["down"])
        #expect(down.status == 0, "a created, never started container goes with down: \(down.stderr)")
        #expect(try stack.states().isEmpty)

        #expect(try stack.run(["up", "--no-start"]).status == 0)
        #expect(try stack.states() == ["db-1": "created", "web-1": "created"])
        let start = try stack.run(["start"])
        #expect(start.stdout == "✔ Container \(stack.project)-db-1  Started\n✔ Container \(stack.project)-web-1  Started\n", "\(start.stdout)")
        #expect(try stack.states() == ["db-1": "running", "web-1": "running"])
    }

    @Test("start of a service without a container fails with compose's message")
    func startWithoutContainer() throws {
        let stack = try CommandStack()
        let start = try stack.run(["start", "web"])
        #expect(start.status == 1)
        #expect(start.stderr.hasPrefix("error: service \"web\" has no container to start"), "\(start.stderr)")
    }
}

@Suite("exec, top, cp, ls, wait and events", .enabled(if: ContainerFixture.unavailableReason == nil, "\(ContainerFixture.unavailableReason ?? "")"))
struct ContainerCommandsTests {
    @Test("exec passes the command's exit code and output through, with the service's environment and -e, -w, -u")
    func exec() throws {
        let stack = try CommandStack()
        #expect(try stack.run(["up", "-d"]).status == 0)
        let result = try stack.run(["exec", "-T", "-e", "EXTRA=1", "-w", "/etc", "web", "sh", "-c", "echo $MODE$EXTRA $(pwd) $(busybox id -u); exit 7"])
        #expect(result.status == 7, "\(result.stderr)")
        #expect(result.stdout == "test1 /etc 0\n", "\(result.stdout)")
        let user = try stack.run(["exec", "-T", "-u", "1000:1000", "web", "busybox", "id", "-u"])
        #expect(user.stdout == "1000\n", "\(user.stdout)\(user.stderr)")
        let signaled = try stack.run(["exec", "-T", "web", "sh", "-c", "kill -9 $$"])
        #expect(signaled.status == 137)
        let missing = try stack.run(["exec", "-T", "web", "nosuchcommand"])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("nosuchcommand"), "\(missing.stderr)")
    }

    @Test("exec gives the command a terminal of the container's own when stdin is a terminal, and none with -T",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "needs script(1) (bsdutils) to give berth a terminal"))
    func execTerminal() throws {
        let stack = try CommandStack()
        #expect(try stack.run(["up", "-d"]).status == 0)
        // script(1) runs berth on a pseudo-terminal of its own and copies what it prints.
        func underScript(_ arguments: String) throws -> String {
            let environment = stack.environment.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            let command = "env \(environment) \(BerthBinary.path) \(arguments); echo rc=$?"
            let result = try BerthBinary.runProgram("/usr/bin/script", ["-qec", command, "/dev/null"], in: stack.directory)
            return result.stdout
        }
        let tty = try underScript("exec web busybox tty")
        #expect(tty.contains("/dev/pts/") && tty.contains("rc=0"), "\(tty)")
        let noTTY = try underScript("exec -T web busybox tty")
        #expect(noTTY.contains("not a tty") && noTTY.contains("rc=1"), "\(noTTY)")
        let code = try underScript("exec web sh -c 'exit 9'")
        #expect(code.contains("rc=9"), "\(code)")
    }

    @Test("exec on a service without a running container exits 1 with compose's message")
    func execNotRunning() throws {
        let stack = try CommandStack()
        #expect(try stack.run(["up", "-d"]).status == 0)
        #expect(try stack.run(["stop", "web"]).status == 0)
        let result = try stack.run(["exec", "-T", "web", "true"])
        #expect(result.status == 1)
        #expect(result.stderr == "error: service \"web\" is not running\n", "\(result.stderr)")
        let index = try stack.run(["exec", "-T", "--index", "2", "db", "true"])
        #expect(index.stderr == "error: service \"db\" is not running container #2\n", "\(index.stderr)")
    }

    @Test("exec -d returns at once and the command runs in the background")
    func execDetached() throws {
        let stack = try CommandStack()
        #expect(try stack.run(["up", "-d"]).status == 0)
        let detached = try stack.run(["exec", "-d", "web", "sh", "-c", "busybox sleep 1; echo done > /tmp/detached"])
        #expect(detached.status == 0, "\(detached.stderr)")
        #expect(try stack.run(["exec", "-T", "web", "cat", "/tmp/detached"]).status != 0, "not finished yet")
        var output = ""
        for _ in 0..<50 where output.isEmpty {
            usleep(100_000)
            output = try stack.run(["exec", "-T", "web", "cat", "/tmp/detached"]).stdout
        }
        #expect(output == "done\n")
    }

    @Test("top lists each running container's processes in docker's columns")
    func top() throws {
        let stack = try CommandStack()
        #expect(try stack.run(["up", "-d"]).status == 0)
        let top = try stack.run(["top", "web"])
        #expect(top.status == 0, "\(top.stderr)")
        let lines = top.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "\(stack.project)-web-1", "\(top.stdout)")
        #expect(lines.dropFirst().first?.split(separator: " ") == ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"], "\(top.stdout)")
        #expect(lines.contains { $0.hasPrefix("root ") && $0.hasSuffix("sh -c trap 'exit 0' TERM; while true; do busybox sleep 1 & wait; done") },
                "\(top.stdout)")
    }

    @Test("cp copies a host file into a running container and back out, and reads a stopped one from its layers")
    func cp() throws {
        let stack = try CommandStack()
        #expect(try stack.run(["up", "-d"]).status == 0)
        try Data("from the host\n".utf8).write(to: URL(fileURLWithPath: stack.directory + "/hello.txt"))
        let into = try stack.run(["cp", stack.directory + "/hello.txt", "web:/tmp/"])
        #expect(into.status == 0, "\(into.stderr)")
        #expect(try stack.run(["exec", "-T", "web", "cat", "/tmp/hello.txt"]).stdout == "from the host\n")
        #expect(try stack.run(["exec", "-T", "web", "sh", "-c", "busybox mkdir -p /tmp/dir/sub && echo inner > /tmp/dir/sub/f"]).status == 0)
        let out = try stack.run(["cp", "web:/tmp/dir", stack.directory + "/copied"])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(try String(contentsOfFile: stack.directory + "/copied/sub/f", encoding: .utf8) == "inner\n")

        // Stopped: the writable layer over the image's layers; a deleted image file stays deleted.
        #expect(try stack.run(["exec", "-T", "web", "busybox", "rm", "/etc/passwd"]).status == 0)
        #expect(try stack.run(["stop", "web"]).status == 0)
        let stopped = try stack.run(["cp", "web:/tmp/hello.txt", stack.directory + "/back.txt"])
        #expect(stopped.status == 0, "\(stopped.stderr)")
        #expect(try String(contentsOfFile: stack.directory + "/back.txt", encoding: .utf8) == "from the host\n")
        let image = try stack.run(["cp", "web:/bin/busybox", stack.directory + "/busybox"])
        #expect(image.status == 0, "a file of the image layer: \(image.stderr)")
        let deleted = try stack.run(["cp", "web:/etc/passwd", stack.directory + "/passwd"])
        #expect(deleted.status == 1, "the whiteout in the upper layer hides the image's file")
        #expect(deleted.stderr.contains("no such file or directory in the container: /etc/passwd"), "\(deleted.stderr)")
        try Data("into a stopped one\n".utf8).write(to: URL(fileURLWithPath: stack.directory + "/later.txt"))
        #expect(try stack.run(["cp", stack.directory + "/later.txt", "web:/etc/later.txt"]).status == 0)
        #expect(try stack.run(["start", "web"]).status == 0)
        #expect(try stack.run(["exec", "-T", "web", "cat", "/etc/later.txt"]).stdout == "into a stopped one\n")
    }

    @Test("cp refuses a path that leaves the container's root through a symbolic link, both ways")
    func cpEscape() throws {
        let stack = try CommandStack()
        #expect(try stack.run(["up", "-d"]).status == 0)
        #expect(try stack.run(["exec", "-T", "web", "busybox", "ln", "-s", "../../../../../../", "/tmp/up"]).status == 0)
        let out = try stack.run(["cp", "web:/tmp/up/etc/hostname", stack.directory + "/leak"])
        #expect(out.status == 1)
        #expect(out.stderr.contains("leaves the container's root filesystem through a symbolic link"), "\(out.stderr)")
        #expect(!FileManager.default.fileExists(atPath: stack.directory + "/leak"))
        try Data("x".utf8).write(to: URL(fileURLWithPath: stack.directory + "/x"))
        let into = try stack.run(["cp", stack.directory + "/x", "web:/tmp/up\(stack.directory)/planted"])
        #expect(into.status == 1)
        #expect(!FileManager.default.fileExists(atPath: stack.directory + "/planted"))
        // An absolute link stays inside the container: /tmp/etc → the container's /etc.
        #expect(try stack.run(["exec", "-T", "web", "busybox", "ln", "-s", "/etc", "/tmp/etc"]).status == 0)
        #expect(try stack.run(["exec", "-T", "web", "sh", "-c", "echo mine > /etc/marker"]).status == 0)
        #expect(try stack.run(["cp", "web:/tmp/etc/marker", stack.directory + "/marker"]).status == 0)
        #expect(try String(contentsOfFile: stack.directory + "/marker", encoding: .utf8) == "mine\n")
    }

    @Test("ls lists the project with its container states and compose file; -q names only; -a shows stopped ones")
    func ls() throws {
        let stack = try CommandStack()
        #expect(try stack.run(["up", "-d"]).status == 0)
        #expect(try stack.run(["stop", "web"]).status == 0)
        let table = try stack.run(["ls", "--filter", "name=\(stack.project)"])
        #expect(table.status == 0, "\(table.stderr)")
        let lines = table.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 2, "\(table.stdout)")
        #expect(lines.first?.split(separator: " ").prefix(3) == ["NAME", "STATUS", "CONFIG"], "\(table.stdout)")
        #expect(lines.last?.hasPrefix(stack.project + "   running(1), exited(1)   ") == true, "\(table.stdout)")
        #expect(lines.last?.hasSuffix(stack.directory + "/compose.yaml") == true, "\(table.stdout)")
        #expect(try stack.run(["ls", "-q", "--filter", "name=\(stack.project)"]).stdout == stack.project + "\n")
        let json = try stack.run(["ls", "--format", "json", "--filter", "name=\(stack.project)"]).stdout
        let rows = try JSONDecoder().decode([Ls.Row].self, from: Data(json.utf8))
        #expect(rows == [Ls.Row(Name: stack.project, Status: "running(1), exited(1)", ConfigFiles: stack.directory + "/compose.yaml")])
        #expect(try stack.run(["stop"]).status == 0)
        #expect(try stack.run(["ls", "-q", "--filter", "name=\(stack.project)"]).stdout.isEmpty, "no running container: hidden")
        #expect(try stack.run(["ls", "-a", "-q", "--filter", "name=\(stack.project)"]).stdout == stack.project + "\n")
    }

    @Test("wait blocks until the service's container exits, prints its code and exits with it")
    func wait() throws {
        let stack = try CommandStack("""
            services:
              job:
                image: IMAGE
                command: ["sh", "-c", "busybox sleep 1; exit 5"]
            """)
        #expect(try stack.run(["up", "-d"]).status == 0)
        let id = try stack.containers()["job-1"]?.ID ?? ""
        let wait = try stack.run(["wait", "job"])
        #expect(wait.status == 5, "\(wait.stderr)")
        #expect(wait.stdout == "container \"\(id)\" exited with status code 5\n", "\(wait.stdout)")
        let down = try stack.run(["wait", "--down-project", "job"])
        #expect(down.status == 5)
        #expect(try stack.states().isEmpty, "--down-project took the project down")
    }

    @Test("events follows the project: a restart prints stop and start events, --json too")
    func events() throws {
        let stack = try CommandStack()
        #expect(try stack.run(["up", "-d"]).status == 0)
        let text = try stack.start(["events"], output: "events")
        let json = try stack.start(["events", "--json", "web"], output: "events-json")
        defer {
            text.terminate()
            json.terminate()
        }
        usleep(700_000)  // both followers have read the last sequence number
        #expect(try stack.run(["restart", "-t", "2", "web"]).status == 0)
        let id = try stack.containers()["web-1"]?.ID ?? ""
        var output = "", jsonOutput = ""
        for _ in 0..<50 {
            output = (try? String(contentsOfFile: stack.directory + "/events.stdout", encoding: .utf8)) ?? ""
            jsonOutput = (try? String(contentsOfFile: stack.directory + "/events-json.stdout", encoding: .utf8)) ?? ""
            if output.contains(" container start "), jsonOutput.contains("\"action\":\"start\"") { break }
            usleep(100_000)
        }
        #expect(output.contains(" container stop \(id) (name=\(stack.project)-web-1)"), "\(output)")
        #expect(output.contains(" container start \(id) (name=\(stack.project)-web-1)"), "\(output)")
        let start = jsonOutput.split(separator: "\n").compactMap { try? JSONDecoder().decode(Events.JSONEvent.self, from: Data($0.utf8)) }
            .first { $0.action == "start" }
        #expect(start?.id == id && start?.service == "web" && start?.type == "container", "\(jsonOutput)")
    }
}
