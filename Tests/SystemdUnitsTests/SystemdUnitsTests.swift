import ComposeSpec
import Foundation
import SystemdUnits
import Testing

let repositoryRoot: String = {
    var path = #filePath
    for _ in 0..<3 { path = (path as NSString).deletingLastPathComponent }
    return path
}()

func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

func loadExample(_ name: String) throws -> Project {
    try load(files: ["Examples/\(name)/compose.yaml"])
}

func load(files: [String] = [], projectDirectory: String? = nil, profiles: [String] = [],
          in directory: String = repositoryRoot) throws -> Project {
    var options = ComposeLoader.Options(environment: ["HOME": "/home/user"], workingDirectory: directory)
    options.files = files
    options.projectDirectory = projectDirectory
    options.profiles = profiles
    return try ComposeLoader(options: options).load().project
}

/// A fresh directory under the system's temporary directory.
func temporaryDirectory(_ name: String = "berth-units") throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    return directory
}

/// `systemd-analyze verify` over every unit in `directory`: its status and the lines that name
/// one of them (verify also reports on systemd's own units, which are not ours to judge).
///
/// With `user`, as the user's manager reads them (`--user`): that needs a runtime directory,
/// which a root shell or CI has none of, so a private empty one stands in.
func verify(_ directory: String, user: Bool = false) throws -> (ok: Bool, report: String) {
    let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { !$0.hasPrefix(".") }.sorted()
    var environment: [String: String] = [:]
    if user {
        let runtime = try temporaryDirectory("berth-verify-runtime")
        chmod(runtime, 0o700)
        environment["XDG_RUNTIME_DIR"] = runtime
    }
    defer { if let runtime = environment["XDG_RUNTIME_DIR"] { try? FileManager.default.removeItem(atPath: runtime) } }
    let result = try run("/usr/bin/systemd-analyze", ["verify", "--man=no"] + (user ? ["--user"] : []) + names.map { directory + "/" + $0 },
                         environment: environment)
    let problems = result.output.split(separator: "\n").filter { line in names.contains { line.contains($0) } }
    return (result.status == 0 && problems.isEmpty, result.output)
}

let systemdAnalyzeMissing = "systemd-analyze is missing: install Debian's systemd package (.ci/deps does)"

@Suite struct SystemdEscapeTests {
    static let names = ["webapp", "my project", "a/b/c", ".hidden", "dash-and_under", "ünïcode", "x:y", "semi;colon", "tab\there"]

    @Test("unit-name components escape exactly as systemd-escape does", arguments: names)
    func matchesSystemdEscape(_ name: String) throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-escape") else {
            Issue.record("systemd-escape is missing: install Debian's systemd package (.ci/deps does)")
            return
        }
        let expected = try run("/usr/bin/systemd-escape", ["--", name]).output.trimmingCharacters(in: .newlines)
        #expect(SystemdEscape.unitNameComponent(name) == expected)
    }

    @Test("Exec arguments disable specifiers and expansion and quote what needs it", arguments: [
        ("/usr/bin/berth", "/usr/bin/berth"),
        ("my dir", "\"my dir\""),
        ("100%", "100%%"),
        ("$HOME", "$$HOME"),
        ("say \"hi\"", "\"say \\\"hi\\\"\""),
        ("", "\"\""),
    ])
    func execArguments(_ argument: String, _ expected: String) {
        #expect(SystemdEscape.execArgument(argument) == expected)
    }

    @Test("paths escape specifiers; only path lists are quoted", arguments: [
        ("/srv/app", "/srv/app", "/srv/app"),
        ("/srv/my app", "/srv/my app", "\"/srv/my app\""),
        ("/srv/100%", "/srv/100%%", "/srv/100%%"),
        ("/srv/$HOME", "/srv/$HOME", "/srv/$HOME"),
        ("/srv/a\"b", "/srv/a\"b", "\"/srv/a\\\"b\""),
    ])
    func paths(_ path: String, _ single: String, _ listItem: String) {
        #expect(SystemdEscape.path(path) == single)
        #expect(SystemdEscape.pathListItem(path) == listItem)
    }
}

@Suite struct UnitFileTests {
    @Test("a unit file parses and renders back to the same text")
    func roundTrip() throws {
        let text = """
            # a comment
            [Unit]
            Description=Demo
            ; another comment

            [Service]
            ExecStart=/bin/true one two
            ExecStartPre=/bin/true
            ExecStartPre=/bin/false

            [Install]
            WantedBy=default.target

            """
        let unit = try UnitFile(parsing: text)
        #expect(unit.description == text)
        #expect(unit[section: "Service"]?.values("ExecStartPre") == ["/bin/true", "/bin/false"])
    }

    @Test("continuation lines join into one value")
    func continuation() throws {
        let unit = try UnitFile(parsing: "[Service]\nExecStart=/bin/echo \\\n  one \\\n  two\n")
        #expect(unit[section: "Service"]?.values("ExecStart") == ["/bin/echo one two"])
    }

    @Test("bad lines are rejected with their number", arguments: [
        ("Key=value before a section\n", 1), ("[Unit]\nnot an entry\n", 2), ("[Unit\n", 1),
    ])
    func rejects(_ text: String, _ line: Int) {
        #expect { try UnitFile(parsing: text) } throws: { ($0 as? UnitFileError)?.line == line }
    }
}
