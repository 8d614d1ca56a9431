import ComposeSpec
import EngineAPI
import Foundation
import Testing
@testable import Reconciler

/// `up --dry-run` output against a golden file. Set BERTH_RECORD=1 to re-record after an intended
/// change, then review the diff.
@Suite struct RenderingTests {
    static let goldenDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    /// A plan with one step of most kinds and a warning.
    static func mixedPlan() throws -> Plan {
        let running = Fixture.project([
            Fixture.service("db") { $0.scale = 3 },
            Fixture.service("web") { $0.dependsOn = ["db": ServiceDependency(restart: true)] },
            Fixture.service("worker"),
            Fixture.service("vpn"),
            Fixture.service("app") { $0.networkMode = "service:vpn" },
        ])
        var observed = try Fixture.running(running)
        observed.containers.append(Fixture.container(service: "old", number: 1))
        if let index = observed.containers.firstIndex(where: { $0.service == "worker" }) {
            observed.containers[index].state = .exited
            observed.containers[index].exitCode = 137
        }
        let wanted = Fixture.project([
            Fixture.service("db") { $0.scale = 2; $0.environment = ["POSTGRES_DB": "app"] },
            Fixture.service("web") { $0.dependsOn = ["db": ServiceDependency(restart: true)] },
            Fixture.service("worker"),
            Fixture.service("vpn") { $0.scale = 2 },
            Fixture.service("app") { $0.networkMode = "service:vpn" },
            Fixture.service("cache") { $0.networks = ["backend": nil] },
        ]) { $0.networks["backend"] = NetworkDefinition() }
        var desired = try Fixture.desired(wanted)
        desired.services["vpn"]?.imageID = Fixture.busyboxNew
        return try Planner.plan(desired: desired, observed: observed, options: UpOptions())
    }

    @Test("a dry-run plan renders as aligned columns, matching its golden file")
    func golden() throws {
        let output = try Self.mixedPlan().rendered()
        let url = Self.goldenDirectory.appendingPathComponent("mixed-plan.txt")
        if ProcessInfo.processInfo.environment["BERTH_RECORD"] == "1" {
            try Data(output.utf8).write(to: url)
            return
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        #expect(output == expected, "differs from Golden/mixed-plan.txt; BERTH_RECORD=1 re-records it")
    }

    @Test("an empty plan renders as nothing to do")
    func empty() {
        #expect(Plan(project: "demo").rendered() == "nothing to do\n")
    }

    @Test("columns are as wide as their longest entry")
    func alignment() {
        let plan = Plan(project: "demo", steps: [
            PlanStep(.startContainer(.init(service: "web", number: 1, name: "demo-web-1", id: "x")), reason: "exited (code 0)"),
            PlanStep(.recreateContainer(.init(service: "database", number: 12, name: "demo-database-12", id: "y"),
                                        stop: .init(signal: "SIGTERM", gracePeriod: 10), start: true, renewAnonymousVolumes: false),
                     reason: "environment changed"),
        ])
        #expect(plan.rendered() == """
            start     web-1        exited (code 0)
            recreate  database-12  environment changed

            """)
    }
}
