import ComposeSpec
import Engine
import EngineAPI
import Foundation
import Reconciler
import Testing

/// The reconciler driving real containers: `up` through `PlanExecutor` and `LocalEngine`.
@Suite("PlanExecutor on LocalEngine", .enabled(if: EngineFixture.unavailableReason == nil, "\(EngineFixture.unavailableReason ?? "")"))
struct PlanExecutorTests {
    static func project(directory: String) throws -> Project {
        let yaml = """
            services:
              db:
                image: \(EngineFixture.busybox)
                command: ["sh", "-c", "trap 'exit 0' TERM; while true; do busybox sleep 1 & wait; done"]
                volumes: [data:/data]
              web:
                image: \(EngineFixture.busybox)
                depends_on: [db]
                environment: {MODE: test}
                command: ["sh", "-c", "trap 'exit 0' TERM; echo $$MODE > /out/mode; while true; do busybox sleep 1 & wait; done"]
                volumes: ["\(directory)/host:/out"]
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
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: area.host + "/mode") { try await Task.sleep(for: .milliseconds(50)) }
        #expect((try? String(contentsOfFile: area.host + "/mode", encoding: .utf8)) == "test\n", "web ran with its environment")

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
}
