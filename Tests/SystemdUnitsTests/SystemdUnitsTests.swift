import ComposeSpec
import Foundation
import SystemdUnits
import Testing

let repositoryRoot: String = {
    var path = #filePath
    for _ in 0..<3 { path = (path as NSString).deletingLastPathComponent }
    return path
}()

func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

func loadExample(_ name: String) throws -> Project {
    var options = ComposeLoader.Options(environment: ["HOME": "/home/user"], workingDirectory: repositoryRoot)
    options.files = ["Examples/\(name)/compose.yaml"]
    return try ComposeLoader(options: options).load().project
}

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

@Suite struct UnitGeneratorTests {
    static func options(_ project: Project, scope: UnitOptions.Scope = .user, berth: String = "/usr/local/bin/berth") -> UnitOptions {
        UnitOptions(scope: scope, berthPath: berth, composeFiles: project.composeFiles)
    }

    @Test("the project unit matches its golden file (BERTH_RECORD=1 re-records)")
    func golden() throws {
        let project = try loadExample("webapp")
        let text = UnitGenerator.projectUnit(for: project, options: Self.options(project)).description
            .replacingOccurrences(of: repositoryRoot, with: "${ROOT}")
        let path = repositoryRoot + "/Tests/SystemdUnitsTests/Golden/berth-webapp.service"
        if ProcessInfo.processInfo.environment["BERTH_RECORD"] == "1" {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            return
        }
        #expect(text == (try String(contentsOfFile: path, encoding: .utf8)))
        #expect(UnitGenerator.unitName(for: project.name) == "berth-webapp.service")
    }

    @Test("the unit pins the project and parses back to itself")
    func pinsTheProject() throws {
        let project = try loadExample("webapp")
        let unit = UnitGenerator.projectUnit(for: project, options: Self.options(project, scope: .system))
        let service = try #require(unit[section: "Service"])
        #expect(service.values("Type") == ["notify"])
        #expect(service.values("KillMode") == ["mixed"])
        #expect(service.values("Delegate") == ["yes"])
        let start = try #require(service.values("ExecStart").first)
        #expect(start.hasPrefix("/usr/local/bin/berth --project-name webapp --project-directory \(repositoryRoot)/Examples/webapp --file \(repositoryRoot)/Examples/webapp/compose.yaml"))
        #expect(start.hasSuffix(" supervise"))
        #expect(unit[section: "Install"]?.values("WantedBy") == ["multi-user.target"])
        #expect(try UnitFile(parsing: unit.description) == unit)
    }

    @Test("timeouts follow health checks, pulls and grace periods")
    func timeouts() throws {
        let project = try loadExample("webapp")
        // web: 3 retries × (5 s + 2 s); db: 10 × (1 s + 30 s default timeout) = 310 s is the longest.
        #expect(UnitGenerator.startTimeout(for: project) == 90 + 300 + 310)
        // web → api → db: three levels; the longest grace is compose's default 10 s.
        #expect(UnitGenerator.stopTimeout(for: project) == 3 * 10 + 30)
    }

    @Test("systemd-analyze verify accepts the generated unit")
    func verifies() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze") else {
            Issue.record("systemd-analyze is missing: install Debian's systemd package (.ci/deps does)")
            return
        }
        let project = try loadExample("webapp")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("berth-units-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/" + UnitGenerator.unitName(for: project.name)
        // An executable that exists, so verify checks everything else.
        let unit = UnitGenerator.projectUnit(for: project, options: Self.options(project, scope: .system, berth: "/usr/bin/true"))
        try Data(unit.description.utf8).write(to: URL(fileURLWithPath: path))
        let result = try run("/usr/bin/systemd-analyze", ["verify", "--man=no", path])
        let problems = result.output.split(separator: "\n").filter { $0.contains(UnitGenerator.unitName(for: project.name)) }
        #expect(result.status == 0 && problems.isEmpty, "\(result.output)")
    }
}
