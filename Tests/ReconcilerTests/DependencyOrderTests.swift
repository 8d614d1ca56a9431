import ComposeSpec
import EngineAPI
import Testing
@testable import Reconciler

/// Order of steps, service scope, and determinism.
@Suite struct DependencyOrderTests {
    /// proxy → app → cache, names chosen so alphabetical order is not start order.
    static let chain = Fixture.project([
        Fixture.service("cache"),
        Fixture.service("app") { $0.dependsOn = ["cache": ServiceDependency()] },
        Fixture.service("proxy") { $0.dependsOn = ["app": ServiceDependency()] },
        Fixture.service("alone"),
    ])

    @Test("containers are created dependencies first; each service waits for its dependencies in the plan")
    func startOrder() throws {
        let plan = try Planner.plan(desired: try Fixture.desired(Self.chain), observed: ObservedState(project: "demo"), options: UpOptions())
        #expect(plan.steps.compactMap(\.service) == ["alone", "cache", "app", "proxy"])
        #expect(plan.waitsFor == ["alone": [], "cache": [], "app": ["cache"], "proxy": ["app"]])
    }

    @Test("naming services brings their dependencies into scope")
    func scopeWithDependencies() throws {
        var options = UpOptions()
        options.services = ["proxy"]
        let plan = try Planner.plan(desired: try Fixture.desired(Self.chain), observed: ObservedState(project: "demo"), options: options)
        #expect(plan.steps.compactMap(\.service) == ["cache", "app", "proxy"])
    }

    @Test("--no-deps limits the scope to the named services")
    func scopeWithoutDependencies() throws {
        var options = UpOptions()
        options.services = ["proxy"]
        options.noDeps = true
        let plan = try Planner.plan(desired: try Fixture.desired(Self.chain), observed: ObservedState(project: "demo"), options: options)
        #expect(plan.steps.compactMap(\.service) == ["proxy"])
        #expect(plan.waitsFor == ["proxy": []])
    }

    @Test("the same inputs give the same plan, whatever order the engine lists containers in")
    func determinism() throws {
        let wanted = Fixture.project([
            Fixture.service("a") { $0.scale = 1; $0.environment = ["X": "2"] },
            Fixture.service("b") { $0.scale = 1 },
            Fixture.service("c") { $0.dependsOn = ["a": ServiceDependency(restart: true)] },
        ])
        var observed = try Fixture.running(Fixture.project([
            Fixture.service("a") { $0.scale = 3 },
            Fixture.service("b") { $0.scale = 4 },
            Fixture.service("c") { $0.dependsOn = ["a": ServiceDependency(restart: true)] },
        ]))
        observed.containers += [Fixture.container(service: "z", number: 2), Fixture.container(service: "z", number: 1)]
        var options = UpOptions()
        options.removeOrphans = true
        let desired = try Fixture.desired(wanted)
        let first = try Planner.plan(desired: desired, observed: observed, options: options)
        for seed in 0..<5 {
            var shuffled = observed
            var generator = SplitMix(seed: UInt64(seed))
            shuffled.containers.shuffle(using: &generator)
            shuffled.networks.shuffle(using: &generator)
            #expect(try Planner.plan(desired: desired, observed: shuffled, options: options) == first)
        }
        #expect(first.summary == [
            "remove z-1: orphan", "remove z-2: orphan",
            "remove a-3: scale 3→1", "remove a-2: scale 3→1", "recreate a-1: environment changed",
            "remove b-4: scale 4→1", "remove b-3: scale 4→1", "remove b-2: scale 4→1",
            "recreate c-1: depends on a (restart: true), which is recreated",
        ])
    }
}

/// A seeded generator, so shuffles are reproducible.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
