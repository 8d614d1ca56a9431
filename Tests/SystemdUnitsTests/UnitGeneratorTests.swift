import ComposeSpec
import Foundation
import SystemdUnits
import Testing

/// The examples' units against golden files in Golden/<case>/, one file per unit. Set
/// BERTH_RECORD=1 to re-record after an intended change, then review the diff.
@Suite struct UnitGoldenTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let golden: String
        let files: [String]
        var projectDirectory: String? = nil
        var profiles: [String] = []
        let layout: UnitLayout
        var testDescription: String { golden }
    }

    static let examples: [(String, [String], String?, [String])] = [
        ("webapp", ["Examples/webapp/compose.yaml"], nil, []),
        ("multi-file", [], "Examples/multi-file", []),
        ("multi-file-prod", ["Examples/multi-file/compose.yaml", "Examples/multi-file/compose.prod.yaml"], nil, []),
        ("profiles-debug", ["Examples/profiles/compose.yaml"], nil, ["debug"]),
    ]

    static let cases: [Case] = examples.flatMap { name, files, directory, profiles in
        UnitLayout.allCases.map { layout in
            Case(golden: layout == .project ? name : "\(name)-\(layout.rawValue)", files: files,
                 projectDirectory: directory, profiles: profiles, layout: layout)
        }
    }

    static func units(_ testCase: Case, berth: String = "/usr/local/bin/berth", scope: UnitOptions.Scope = .user) throws -> [GeneratedUnit] {
        let project = try load(files: testCase.files, projectDirectory: testCase.projectDirectory, profiles: testCase.profiles)
        let options = UnitOptions(scope: scope, berthPath: berth, composeFiles: project.composeFiles,
                                  profiles: project.activeProfiles)
        return UnitGenerator.units(for: project, options: options, layout: testCase.layout)
    }

    @Test("generated units match their golden files", arguments: cases)
    func golden(_ testCase: Case) throws {
        let units = try Self.units(testCase)
        let directory = repositoryRoot + "/Tests/SystemdUnitsTests/Golden/" + testCase.golden
        if ProcessInfo.processInfo.environment["BERTH_RECORD"] == "1" {
            try? FileManager.default.removeItem(atPath: directory)
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            for unit in units {
                let text = unit.file.description.replacingOccurrences(of: repositoryRoot, with: "${ROOT}")
                try Data(text.utf8).write(to: URL(fileURLWithPath: directory + "/" + unit.name))
            }
            return
        }
        let recorded = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        #expect(recorded == units.map(\.name).sorted(), "Golden/\(testCase.golden) holds other units; BERTH_RECORD=1 re-records")
        for unit in units {
            let expected = try String(contentsOfFile: directory + "/" + unit.name, encoding: .utf8)
            let text = unit.file.description.replacingOccurrences(of: repositoryRoot, with: "${ROOT}")
            #expect(text == expected, "differs from Golden/\(testCase.golden)/\(unit.name); BERTH_RECORD=1 re-records it")
        }
    }

    @Test("every generated unit parses back to itself and passes systemd-analyze verify", arguments: cases)
    func verifies(_ testCase: Case) throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze") else {
            Issue.record(Comment(rawValue: systemdAnalyzeMissing))
            return
        }
        // verify needs ExecStart's program to exist; the CLI tests verify units naming the built berth.
        let units = try Self.units(testCase, berth: "/usr/bin/true", scope: .system)
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for unit in units {
            #expect(try UnitFile(parsing: unit.file.description) == unit.file, "\(unit.name) does not round-trip")
            try Data(unit.file.description.utf8).write(to: URL(fileURLWithPath: directory + "/" + unit.name))
        }
        let result = try verify(directory)
        #expect(result.ok, "\(result.report)")
    }
}

@Suite struct UnitGeneratorTests {
    static func options(_ project: Project, scope: UnitOptions.Scope = .user, berth: String = "/usr/local/bin/berth") -> UnitOptions {
        UnitOptions(scope: scope, berthPath: berth, composeFiles: project.composeFiles)
    }

    @Test("the project unit pins the project and is the supervisor")
    func pinsTheProject() throws {
        let project = try loadExample("webapp")
        let unit = UnitGenerator.projectUnit(for: project, options: Self.options(project, scope: .system))
        let service = try #require(unit[section: "Service"])
        #expect(service.values("Type") == ["notify"])
        #expect(service.values("NotifyAccess") == ["main"])
        #expect(service.values("KillMode") == ["mixed"])
        #expect(service.values("Delegate") == ["yes"])
        #expect(service.values("WorkingDirectory") == ["\(repositoryRoot)/Examples/webapp"])
        let start = try #require(service.values("ExecStart").first)
        #expect(start.hasPrefix("/usr/local/bin/berth --project-name webapp --project-directory \(repositoryRoot)/Examples/webapp --file \(repositoryRoot)/Examples/webapp/compose.yaml"))
        #expect(start.hasSuffix(" supervise"))
        #expect(service.values("ExecStop").first?.hasSuffix(" stop") == true)
        #expect(service.values("ExecReload").first?.hasSuffix(" up --detach --remove-orphans") == true)
        #expect(unit[section: "Install"]?.values("WantedBy") == ["multi-user.target"])
        #expect(unit[section: "Unit"]?.values("After") == ["network-online.target"])
        #expect(UnitGenerator.unitName(for: project.name) == "berth-webapp.service")
    }

    @Test("the header names the project a unit was generated for, and nothing else carries it", arguments: [
        (UnitGenerator.header(for: "shop") + "\n[Unit]\n", "shop" as String?),
        (UnitGenerator.header(for: "my-odd_project") + "\n", "my-odd_project"),
        ("[Unit]\n" + UnitGenerator.header(for: "shop") + "\n", nil),
        ("# Generated by berth systemd generate for project shop\n", nil),
        ("", nil),
    ])
    func header(_ text: String, _ project: String?) {
        #expect(UnitGenerator.generatedProject(of: Substring(text)) == project)
    }

    @Test("user units start with the user's manager and wait for no network target")
    func userScope() throws {
        let project = try loadExample("webapp")
        let unit = UnitGenerator.projectUnit(for: project, options: Self.options(project, scope: .user))
        #expect(unit[section: "Install"]?.values("WantedBy") == ["default.target"])
        #expect(unit[section: "Unit"]?.values("After") == [])
    }

    @Test("env files and profiles are pinned on every command line")
    func pinsEnvFilesAndProfiles() throws {
        let project = try loadExample("webapp")
        var options = Self.options(project)
        options.envFiles = ["/etc/webapp/prod.env"]
        options.profiles = ["debug", "ops"]
        let service = try #require(UnitGenerator.projectUnit(for: project, options: options)[section: "Service"])
        for key in ["ExecStart", "ExecStop", "ExecReload"] {
            let line = try #require(service.values(key).first)
            #expect(line.contains("--env-file /etc/webapp/prod.env --profile debug --profile ops "), "\(key)=\(line)")
        }
    }

    @Test("the project's start timeout adds health checks along service_healthy chains")
    func projectTimeouts() throws {
        let project = try loadExample("webapp")
        // db: 10 × (1 s + 30 s default timeout) = 310 s gates api (service_healthy); api gates web
        // by service_started; web's own check adds 3 × (5 s + 2 s) = 21 s: 331 s.
        #expect(UnitGenerator.startTimeout(for: project) == 90 + 300 + 331)
        // web → api → db: three levels; the longest grace is compose's default 10 s.
        #expect(UnitGenerator.stopTimeout(for: project) == 3 * 10 + 30)
    }

    @Test("health checks not chained by service_healthy overlap instead of adding up")
    func unchainedHealthOverlaps() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data("""
            services:
              a:
                image: busybox
                pull_policy: never
                healthcheck: {test: ["CMD", "true"], interval: 10s, timeout: 5s, retries: 2, start_period: 7s}
              b:
                image: busybox
                pull_policy: never
                depends_on: [a]
                healthcheck: {test: ["CMD", "true"], interval: 1s, timeout: 1s, retries: 1}
              c:
                image: busybox
                pull_policy: never
                healthcheck: {test: ["NONE"]}
            """.utf8).write(to: URL(fileURLWithPath: directory + "/compose.yaml"))
        let project = try load(in: directory)
        // a: 7 + 2 × 15 = 37 s; b starts with a (service_started) and needs 2 s: max is 37 s.
        // No pulls: every image is pull_policy: never.
        #expect(UnitGenerator.startTimeout(for: project) == 90 + 37)
    }
}
