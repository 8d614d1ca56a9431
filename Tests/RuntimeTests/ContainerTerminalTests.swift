import Foundation
import Testing

/// process.terminal with --console-socket: the pty master reaches the socket's listener
/// (runc's protocol) and the container's stdio is the pty slave.
@Suite(.enabled(if: Fixture.unavailableReason == nil, "\(Fixture.unavailableReason ?? "")"))
struct ContainerTerminalTests {
    static let receiver = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path + "/Fixtures/console-receiver.py"

    @Test("the container's stdio is a pty whose master is sent to the console socket")
    func consoleSocket() throws {
        let area = try Fixture.Area()
        defer { area.remove() }
        try area.edit {
            $0.process?.args = ["sh", "-c", "tty; echo hello"]
            $0.process?.terminal = true
        }
        let (listener, socket, output) = try Self.listen(in: area)
        let result = try area.berthRun(["run", "--console-socket", socket, "--bundle", area.bundle, "tty"])
        #expect(result.status == 0, "\(result.stderr)")
        listener.waitUntilExit()
        let text = try String(contentsOfFile: output, encoding: .utf8)
        #expect(text.contains("/dev/pts/0"), "\(text)")
        #expect(text.contains("hello"))
    }

    /// Starts the console-socket listener in the area; returns it, its socket and its output file.
    static func listen(in area: Fixture.Area) throws -> (Process, String, String) {
        let socket = area.path + "/console.sock"
        let output = area.path + "/console.out"
        let listener = Process()
        listener.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        listener.arguments = [Self.receiver, socket]
        listener.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output, isDirectory: false).creatingFile())
        try listener.run()
        var waited = 0
        while waited < 250 && !FileManager.default.fileExists(atPath: socket + ".ready") {
            usleep(20_000)
            waited += 1
        }
        return (listener, socket, output)
    }

    @Test("exec --tty gives the process a new pty of the container's devpts, its master sent to the console socket, and returns its exit code")
    func execTerminal() throws {
        let area = try Fixture.Area()
        defer { area.remove() }
        try area.setArgs(["sleep", "60"])
        let id = "exectty-\(getpid())"
        #expect(try area.berthRun(["run", "--detach", "--bundle", area.bundle, id]).status == 0)
        defer { _ = try? area.berthRun(["delete", "--force", id]) }
        let (listener, socket, output) = try Self.listen(in: area)
        let result = try area.berthRun(["exec", "--tty", "--console-socket", socket, id,
                                        "sh", "-c", "tty; readlink /proc/1/exe; echo hello; exit 3"])
        #expect(result.status == 3, "\(result.stderr)")
        listener.waitUntilExit()
        let text = try String(contentsOfFile: output, encoding: .utf8)
        #expect(text.contains("/dev/pts/0"), "the container's own devpts, where no pty was open yet: \(text)")
        #expect(text.contains("/bin/busybox"), "in the container's PID and mount namespaces: \(text)")
        #expect(text.contains("hello"))
        let plain = try area.berthRun(["exec", id, "sh", "-c", "tty"])
        #expect(plain.stdout.contains("not a tty"), "without --tty, stdio is not a terminal: \(plain.stdout)")
    }

    @Test("rootless, exec --tty gets a pty of the container's devpts too",
          .enabled(if: Fixture.rootlessUnavailableReason == nil, "\(Fixture.rootlessUnavailableReason ?? "")"))
    func execTerminalRootless() throws {
        let area = try Fixture.Area(rootless: "berth-test")
        defer { area.remove() }
        try area.setArgs(["sleep", "60"])
        let id = "exectty-rl"
        #expect(try area.berthRun(["run", "--detach", "--bundle", area.bundle, id]).status == 0)
        defer { _ = try? area.berthRun(["delete", "--force", id]) }
        let (listener, socket, output) = try Self.listen(in: area)
        defer { if listener.isRunning { listener.terminate() } }
        // The listener runs as root: let the test user connect.
        #expect(chmod(socket, 0o777) == 0)
        let result = try area.berthRun(["exec", "--tty", "--console-socket", socket, id, "sh", "-c", "tty"])
        #expect(result.status == 0, "\(result.stderr)")
        listener.waitUntilExit()
        let text = try String(contentsOfFile: output, encoding: .utf8)
        #expect(text.contains("/dev/pts/0"), "\(text)")
    }

    @Test("exec --tty and --console-socket go together", arguments: [
        (["--tty"], "--tty needs --console-socket PATH"),
        (["--console-socket", "/tmp/x.sock"], "--console-socket is only used with --tty"),
    ])
    func execTerminalFlags(flags: [String], message: String) throws {
        let area = try Fixture.Area()
        defer { area.remove() }
        let result = try area.berthRun(["exec"] + flags + ["any", "true"])
        #expect(result.status != 0)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    @Test("terminal without --console-socket is refused with what to do")
    func missingSocket() throws {
        let area = try Fixture.Area()
        defer { area.remove() }
        try area.edit { $0.process?.terminal = true }
        let result = try area.berthRun(["run", "--bundle", area.bundle, "tty"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("pass --console-socket PATH"))
        #expect(area.stateEntries.isEmpty)
    }
}

extension URL {
    /// Creates an empty file here and returns the URL, for FileHandle(forWritingTo:).
    func creatingFile() -> URL {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        return self
    }
}
