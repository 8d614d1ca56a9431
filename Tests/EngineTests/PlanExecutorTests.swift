import ComposeSpec
import Engine
import EngineAPI
import Foundation
import Reconciler
import Testing

/// The reconciler driving real containers: `up` through `PlanExecutor` and `LocalEngine`.
@Suite("PlanExecutor on LocalEngine", .enabled(if: EngineFixture.unavailableReason == nil, "\(EngineFixture.unavailableReason ?? "")"))
struct PlanExecutorTests {
    static func project(directory: String, mode: String = "test") throws -> Project {
        let yaml = """
            services:
              db:
                image: \(EngineFixture.busybox)
                command: ["sh", "-c", "trap 'exit 0' TERM; while true; do busybox sleep 1 & wait; done"]
                volumes: [data:/data]
              web:
                image: \(EngineFixture.busybox)
                depends_on: [db]
                environment: {MODE: \(mode)}
                command: ["sh", "-c", "trap 'exit 0' TERM; echo $$MODE >> /cache/modes; cat /cache/modes > /out/modes; while true; do busybox sleep 1 & wait; done"]
                volumes: ["\(directory)/host:/out", "/cache"]
            volumes:
              data: {}
            """
        var options = ComposeLoader.Options(environment: [:], workingDirectory: directory)
        options.files = ["-"]
        options.projectName = "demo"
        options.projectDirectory = directory
        options.readStandardInput = { Array(yaml.utf8) }
        return try ComposeLoader(options: options).load().project
    }

    /// What web wrote through its bind mount: the modes it ran with, kept in its anonymous volume.
    static func modes(_ area: EngineFixture.Area, expectedLines: Int = 1) async throws -> String? {
        for _ in 0..<100 {
            if let text = try? String(contentsOfFile: area.host + "/modes", encoding: .utf8), text.split(separator: "\n").count >= expectedLines {
                return text
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try? String(contentsOfFile: area.host + "/modes", encoding: .utf8)
    }

    func plan(_ project: Project, _ executor: PlanExecutor, _ engine: LocalEngine) async throws -> (Plan, DesiredState, ObservedState) {
        let desired = try await executor.ensureImages(try DesiredState(project: project))
        let observed = try await engine.observe(project: project.name)
        return (try Planner.plan(desired: desired, observed: observed, options: UpOptions()), desired, observed)
    }

    @Test("up brings a two-service project up, a second up plans nothing, and down removes it all")
    func upTwice() async throws {
        let area = try EngineFixture.Area()
        defer { area.remove() }
        let project = try Self.project(directory: area.path)
        let executor = PlanExecutor(engine: area.engine)

        let (first, desired, observed) = try await plan(project, executor, area.engine)
        #expect(!first.isEmpty)
        let report = await executor.apply(first, desired: desired, observed: observed)
        #expect(report.succeeded, "\(report.failures)")
        let running = try await area.engine.observe(project: "demo")
        #expect(running.containers.map(\.name).sorted() == ["demo-db-1", "demo-web-1"])
        #expect(running.containers.allSatisfy { $0.state == .running }, "\(running.containers.map(\.state))")
        #expect(running.volumes.map(\.name) == ["demo_data"])
        #expect(try await Self.modes(area) == "test\n", "web ran with its environment")

        let (second, _, _) = try await plan(project, executor, area.engine)
        #expect(second.isEmpty, "\(second.rendered())")

        var options = DownOptions()
        options.removeVolumes = true
        let down = Planner.down(observed: try await area.engine.observe(project: "demo"), desired: desired, options: options)
        let downReport = await executor.apply(down, desired: desired, observed: running)
        #expect(downReport.succeeded, "\(downReport.failures)")
        let after = try await area.engine.observe(project: "demo")
        #expect(after.containers.isEmpty && after.volumes.isEmpty && after.networks.isEmpty, "\(after)")
    }

    @Test("a changed environment recreates web under a temporary name, it keeps its anonymous volume, and the next plan is empty")
    func recreate() async throws {
        let area = try EngineFixture.Area()
        defer { area.remove() }
        let executor = PlanExecutor(engine: area.engine)
        let (first, desired, observed) = try await plan(try Self.project(directory: area.path), executor, area.engine)
        #expect(await executor.apply(first, desired: desired, observed: observed).succeeded)
        #expect(try await Self.modes(area) == "test\n")
        let before = try await area.engine.observe(project: "demo").containers
        let dbID = before.first { $0.name == "demo-db-1" }?.id
        let webID = before.first { $0.name == "demo-web-1" }?.id

        let changed = try Self.project(directory: area.path, mode: "fast")
        let (second, desiredChanged, observedBefore) = try await plan(changed, executor, area.engine)
        #expect(second.rendered().contains("environment"), "\(second.rendered())")
        let report = await executor.apply(second, desired: desiredChanged, observed: observedBefore)
        #expect(report.succeeded, "\(report.failures)")
        let after = try await area.engine.observe(project: "demo").containers
        #expect(after.map(\.name).sorted() == ["demo-db-1", "demo-web-1"])
        #expect(after.first { $0.name == "demo-db-1" }?.id == dbID, "db was left alone")
        #expect(after.first { $0.name == "demo-web-1" }?.id != webID, "web was recreated")
        #expect(try await Self.modes(area, expectedLines: 2) == "test\nfast\n", "the replacement took over the anonymous volume")
        #expect(try await plan(changed, executor, area.engine).0.isEmpty)

        let down = Planner.down(observed: try await area.engine.observe(project: "demo"), desired: desiredChanged, options: DownOptions())
        #expect(await executor.apply(down, desired: desiredChanged, observed: try await area.engine.observe(project: "demo")).succeeded)
    }
}
