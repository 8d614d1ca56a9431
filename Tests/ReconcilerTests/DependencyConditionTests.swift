import ComposeSpec
import EngineAPI
import Testing
@testable import Reconciler

/// `depends_on` conditions: the executor waits for them through `ContainerEngine.waitFor`
/// between starting a dependency and starting its dependent.
@Suite struct DependencyConditionTests {
    static func project(_ condition: ServiceDependency.Condition) -> Project {
        Fixture.webAndDB { web in web.dependsOn = ["db": ServiceDependency(condition: condition)] }
    }

    @Test("service_healthy and service_completed_successfully are waited for after the dependency starts and before the dependent starts", arguments: [
        (ServiceDependency.Condition.serviceHealthy, "service_healthy"),
        (.serviceCompletedSuccessfully, "service_completed_successfully"),
    ])
    func waits(condition: ServiceDependency.Condition, word: String) async throws {
        let engine = InMemoryEngine(images: ExecutorTests.images)
        let (_, report) = try await ExecutorTests.up(Self.project(condition), on: engine)
        #expect(report.succeeded, "\(report.failures)")
        let calls = await engine.calls.filter { $0.hasPrefix("start") || $0.hasPrefix("wait") }
        #expect(calls == ["start demo-db-1", "wait demo-db-1 \(word)", "start demo-web-1"])
    }

    @Test("service_started is the start order alone: nothing is waited for")
    func started() async throws {
        let engine = InMemoryEngine(images: ExecutorTests.images)
        try await ExecutorTests.up(Self.project(.serviceStarted), on: engine)
        #expect(await engine.calls.filter { $0.hasPrefix("wait") }.isEmpty)
    }

    @Test("a dependency that never becomes healthy fails its dependent by name, which is not started")
    func unhealthy() async throws {
        let engine = InMemoryEngine(images: ExecutorTests.images)
        await engine.failWait(of: "demo-db-1")
        let (_, report) = try await ExecutorTests.up(Self.project(.serviceHealthy), on: engine)
        #expect(!report.succeeded)
        let failure = try #require(report.failures.first)
        #expect(failure.code == .dependency)
        #expect(failure.service == "web")
        #expect(failure.object == "depends_on.db")
        #expect(failure.message.contains("service_healthy not met"))
        #expect(await engine.containers.values.first { $0.spec.name == "demo-web-1" } == nil)
    }

    @Test("a second up on a running stack waits for nothing")
    func unchanged() async throws {
        let engine = InMemoryEngine(images: ExecutorTests.images)
        try await ExecutorTests.up(Self.project(.serviceHealthy), on: engine)
        let before = await engine.calls.count
        try await ExecutorTests.up(Self.project(.serviceHealthy), on: engine)
        #expect(await engine.calls.dropFirst(before).filter { $0.hasPrefix("wait") }.isEmpty)
    }
}
