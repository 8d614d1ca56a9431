import ComposeSpec
import Foundation
import SystemdUnits
import Testing

func writeProject(_ yaml: String, in directory: String) throws -> Project {
    try Data(yaml.utf8).write(to: URL(fileURLWithPath: directory + "/compose.yaml"))
    return try load(in: directory)
}

func perServiceUnits(_ project: Project, scope: UnitOptions.Scope = .user, berth: String = "/usr/local/bin/berth") -> [String: UnitFile] {
    let options = UnitOptions(scope: scope, berthPath: berth, composeFiles: project.composeFiles)
    return Dictionary(uniqueKeysWithValues: UnitGenerator.units(for: project, options: options, layout: .perService).map { ($0.name, $0.file) })
}

@Suite struct PerServiceUnitTests {
    @Test("depends_on becomes Requires/Wants, After and PartOf between service units")
    func dependencies() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let project = try writeProject("""
            name: deps
            services:
              db: {image: busybox}
              cache: {image: busybox}
              metrics: {image: busybox}
              api:
                image: busybox
                depends_on:
                  db: {condition: service_started, restart: true}
                  cache: {condition: service_started, required: false}
                network_mode: service:metrics
            """, in: directory)
        let units = perServiceUnits(project)
        let api = try #require(units["berth-deps-api.service"]?[section: "Unit"])
        let network = "berth-deps-network-services.service"
        #expect(api.values("Requires") == [network, "berth-deps-db.service", "berth-deps-metrics.service"])
        #expect(api.values("Wants") == ["berth-deps-cache.service"])
        #expect(api.values("After") == [network, "berth-deps-cache.service", "berth-deps-db.service", "berth-deps-metrics.service"])
        #expect(api.values("PartOf") == ["berth-deps.target", "berth-deps-db.service"])
        let db = try #require(units["berth-deps-db.service"]?[section: "Unit"])
        #expect(db.values("Requires") == [network] && db.values("After") == [network])
        let host = try #require(units[network])
        #expect(host[section: "Unit"]?.values("PartOf") == ["berth-deps.target"])
        #expect(host[section: "Unit"]?.values("Requires") == [] && host[section: "Unit"]?.values("After") == [])
        #expect(host[section: "Service"]?.values("Type") == ["notify"])
        #expect(host[section: "Service"]?.values("ExecStart").first?.hasSuffix(" supervise --network-services") == true)

        let target = try #require(units["berth-deps.target"])
        #expect(target[section: "Unit"]?.values("Wants").sorted() == units.keys.filter { $0.hasSuffix(".service") }.sorted())
        #expect(target[section: "Unit"]?.values("After").first == network, "the network-services unit comes first")
        #expect(target[section: "Install"]?.values("WantedBy") == ["default.target"])
        #expect(units.values.filter { $0[section: "Install"] != nil }.count == 1, "only the target is enabled")
    }

    @Test("a service is ready at the strictest condition its dependents put on it", arguments: [
        ("service_started", UnitReadiness.started, "notify"),
        ("service_healthy", .healthy, "notify"),
        ("service_completed_successfully", .completed, "oneshot"),
    ])
    func readiness(_ condition: String, _ readiness: UnitReadiness, _ type: String) throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let project = try writeProject("""
            name: ready
            services:
              dep:
                image: busybox
                healthcheck: {test: ["CMD", "true"], interval: 2s, timeout: 1s, retries: 4}
              user:
                image: busybox
                depends_on: {dep: {condition: \(condition)}}
              other:
                image: busybox
                depends_on: [dep]
            """, in: directory)
        #expect(UnitGenerator.readiness(of: "dep", in: project) == readiness)
        #expect(UnitGenerator.readiness(of: "user", in: project) == .started)
        let service = try #require(perServiceUnits(project)["berth-ready-dep.service"]?[section: "Service"])
        #expect(service.values("Type") == [type])
        let start = try #require(service.values("ExecStart").first)
        #expect(start.hasSuffix(" supervise --service dep --ready \(readiness.rawValue)"), "\(start)")
        let timeout: String = switch readiness {
        case .started: "\(90 + 300)"
        case .healthy: "\(90 + 300 + 4 * 3)"
        case .completed: "infinity"
        }
        #expect(service.values("TimeoutStartSec") == [timeout])
        #expect(service.values("RemainAfterExit") == (readiness == .completed ? ["yes"] : []))
    }

    struct RestartCase: Sendable, CustomTestStringConvertible {
        let yaml: String
        let restart: String
        var burst: String? = nil
        var interval: String? = nil
        var delay: String? = nil
        var testDescription: String { yaml.isEmpty ? "no restart key" : yaml }
    }

    // A service that nobody waits on is ready when started: 90 s + 300 s of pulls to start.
    static let restartCases: [RestartCase] = [
        RestartCase(yaml: "restart: \"no\"", restart: "no"),
        RestartCase(yaml: "restart: always", restart: "always"),
        RestartCase(yaml: "restart: unless-stopped", restart: "always"),
        RestartCase(yaml: "restart: on-failure", restart: "on-failure"),
        RestartCase(yaml: "restart: on-failure:3", restart: "on-failure", burst: "4", interval: "\(4 * (390 + 1))"),
        RestartCase(yaml: "deploy: {restart_policy: {condition: any}}", restart: "always"),
        RestartCase(yaml: "deploy: {restart_policy: {condition: none}}", restart: "no"),
        RestartCase(yaml: "deploy: {restart_policy: {condition: on-failure, max_attempts: 2, delay: 5s}}",
                    restart: "on-failure", burst: "3", interval: "\(3 * (390 + 5))", delay: "5"),
        RestartCase(yaml: "", restart: "no"),
    ]

    @Test("restart policies map to Restart= and start limits", arguments: restartCases)
    func restart(_ testCase: RestartCase) throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let project = try writeProject("name: r\nservices:\n  s:\n    image: busybox\n    \(testCase.yaml)\n", in: directory)
        let unit = try #require(perServiceUnits(project)["berth-r-s.service"])
        #expect(unit[section: "Service"]?.values("Restart") == [testCase.restart])
        #expect(unit[section: "Unit"]?.values("StartLimitBurst") == (testCase.burst.map { [$0] } ?? []))
        #expect(unit[section: "Unit"]?.values("StartLimitIntervalSec") == (testCase.interval.map { [$0] } ?? []))
        #expect(unit[section: "Service"]?.values("RestartSec") == (testCase.delay.map { [$0] } ?? []))
    }

    @Test("a job others wait on to complete is restarted only on failure")
    func jobRestart() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let project = try writeProject("""
            name: job
            services:
              migrate: {image: busybox, restart: always}
              app:
                image: busybox
                depends_on: {migrate: {condition: service_completed_successfully}}
            """, in: directory)
        let service = try #require(perServiceUnits(project)["berth-job-migrate.service"]?[section: "Service"])
        #expect(service.values("Type") == ["oneshot"])
        #expect(service.values("Restart") == ["on-failure"])
    }

    @Test("odd names escape, round-trip and pass systemd-analyze verify, system units as the system manager reads them, user units as the user's (--user)",
          arguments: [UnitOptions.Scope.system, .user])
    func oddNames(scope: UnitOptions.Scope) throws {
        let root = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let directory = root + "/my stack 100%"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let project = try writeProject("""
            name: my-odd-project
            services:
              my_svc.v2:
                image: busybox
                restart: on-failure:2
                depends_on: {db-main: {condition: service_healthy}}
              db-main:
                image: busybox
                healthcheck: {test: ["CMD", "true"]}
            """, in: directory)
        let options = UnitOptions(scope: scope, berthPath: "/usr/bin/true", composeFiles: project.composeFiles,
                                  envFiles: [directory + "/my $vars.env"], profiles: [])
        let units = UnitLayout.allCases.flatMap { UnitGenerator.units(for: project, options: options, layout: $0) }
        #expect(units.map(\.name).sorted() == [
            "berth-my\\x2dodd\\x2dproject-db\\x2dmain.service",
            "berth-my\\x2dodd\\x2dproject-my_svc.v2.service",
            "berth-my\\x2dodd\\x2dproject-network-services.service",
            "berth-my\\x2dodd\\x2dproject.service",
            "berth-my\\x2dodd\\x2dproject.target",
        ])
        let service = try #require(units.first { $0.name.contains("my_svc") }?.file)
        #expect(service[section: "Unit"]?.values("Requires") == ["berth-my\\x2dodd\\x2dproject-network-services.service",
                                                                  "berth-my\\x2dodd\\x2dproject-db\\x2dmain.service"])
        #expect(service[section: "Service"]?.values("WorkingDirectory") == ["\(directory.replacingOccurrences(of: "%", with: "%%"))"])
        #expect(service[section: "Service"]?.values("ExecStart").first?.contains("--env-file \"\(directory.replacingOccurrences(of: "%", with: "%%"))/my $$vars.env\"") == true)

        let unitDirectory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: unitDirectory) }
        for unit in units {
            #expect(try UnitFile(parsing: unit.file.description) == unit.file, "\(unit.name) does not round-trip")
            try Data(unit.file.description.utf8).write(to: URL(fileURLWithPath: unitDirectory + "/" + unit.name))
        }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze") else {
            Issue.record(Comment(rawValue: systemdAnalyzeMissing))
            return
        }
        let result = try verify(unitDirectory, user: scope == .user)
        #expect(result.ok, "\(result.report)")
        #expect(units.compactMap { $0.file[section: "Install"]?.values("WantedBy") }.allSatisfy {
            $0 == [scope == .user ? "default.target" : "multi-user.target"]
        })
    }

    @Test("no service name takes the network-services unit's name: a service's part never holds an unescaped dash", arguments: [
        "network", "network-services", "network_services", "services",
    ])
    func networkServicesNameIsFree(service: String) throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let project = try writeProject("name: p\nservices:\n  \(service): {image: busybox}\n", in: directory)
        let names = Array(perServiceUnits(project).keys)
        #expect(Set(names).count == 3, "\(names)")
        #expect(names.filter { $0 == "berth-p-network-services.service" }.count == 1, "\(names)")
        #expect(names.contains(UnitGenerator.serviceUnitName(project: "p", service: service)))
    }
}
