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

        let result = try area.berthRun(["run", "--console-socket", socket, "--bundle", area.bundle, "tty"])
        #expect(result.status == 0, "\(result.stderr)")
        listener.waitUntilExit()
        let text = try String(contentsOfFile: output, encoding: .utf8)
        #expect(text.contains("/dev/pts/0"), "\(text)")
        #expect(text.contains("hello"))
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
