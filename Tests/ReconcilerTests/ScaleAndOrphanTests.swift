import ComposeSpec
import EngineAPI
import Testing
@testable import Reconciler

/// New services, scaling up and down, numbering, orphans and one-off containers.
@Suite struct ScaleAndOrphanTests {
    @Test("an empty engine gets the network and one container per service, dependencies first")
    func freshProject() throws {
        let plan = try Planner.plan(desired: try Fixture.desired(Fixture.webAndDB()),
                                    observed: ObservedState(project: "demo"), options: UpOptions())
        #expect(plan.summary == [
            "create network demo_default: used by db, web",
            "create db-1: new service",
            "create web-1: new service",
        ])
    }

    @Test("named volumes the services mount are created; external ones are not")
    func volumes() throws {
        let project = Fixture.project([Fixture.service("db") {
            $0.volumes = [ServiceVolume(type: .volume, source: "data", target: "/var/lib/db"),
                          ServiceVolume(type: .volume, source: "shared", target: "/shared")]
        }]) { project in
            project.volumes["data"] = VolumeDefinition()
            var shared = VolumeDefinition(name: "everyone")
            shared.external = true
            project.volumes["shared"] = shared
        }
        let plan = try Planner.plan(desired: try Fixture.desired(project), observed: ObservedState(project: "demo"), options: UpOptions())
        #expect(plan.summary == ["create network demo_default: used by db", "create volume demo_data: used by db",
                                 "create db-1: new service"])
    }

    struct ScaleCase: Sendable, CustomTestStringConvertible {
        var testDescription: String
        var running: Int
        /// Replica numbers to drop from the running set before planning, to make gaps.
        var missing: Set<Int> = []
        var scale: Int
        var viaOption: Bool
        var expected: [String]
    }

    static let scaleCases: [ScaleCase] = [
        ScaleCase(testDescription: "scale up by the service's scale key", running: 1, scale: 3, viaOption: false,
                  expected: ["create db-2: scale 1→3", "create db-3: scale 1→3"]),
        ScaleCase(testDescription: "scale up by --scale", running: 1, scale: 2, viaOption: true,
                  expected: ["create db-2: scale 1→2"]),
        ScaleCase(testDescription: "scale down removes the highest numbers first", running: 3, scale: 1, viaOption: true,
                  expected: ["remove db-3: scale 3→1", "remove db-2: scale 3→1"]),
        ScaleCase(testDescription: "scale to zero removes every replica", running: 2, scale: 0, viaOption: true,
                  expected: ["remove db-2: scale 2→0", "remove db-1: scale 2→0"]),
        ScaleCase(testDescription: "scaling up fills the lowest free number", running: 3, missing: [2], scale: 3, viaOption: true,
                  expected: ["create db-2: scale 2→3"]),
        ScaleCase(testDescription: "an unchanged scale plans nothing", running: 3, scale: 3, viaOption: false, expected: []),
    ]

    @Test("scaling", arguments: scaleCases)
    func scaling(_ testCase: ScaleCase) throws {
        var observed = try Fixture.running(Fixture.project([Fixture.service("db") { $0.scale = testCase.running }]))
        observed.containers.removeAll { testCase.missing.contains($0.number ?? 0) }
        var options = UpOptions()
        let wanted = Fixture.project([Fixture.service("db") { $0.scale = testCase.viaOption ? testCase.running : testCase.scale }])
        if testCase.viaOption { options.scale = ["db": testCase.scale] }
        let plan = try Planner.plan(desired: try Fixture.desired(wanted), observed: observed, options: options)
        #expect(plan.summary == testCase.expected)
    }

    @Test("orphans are a warning without --remove-orphans and removed with it")
    func orphans() throws {
        var observed = try Fixture.running(Fixture.webAndDB())
        observed.containers.append(Fixture.container(service: "old", number: 1))
        let desired = try Fixture.desired(Fixture.webAndDB())
        let kept = try Planner.plan(desired: desired, observed: observed, options: UpOptions())
        #expect(kept.isEmpty)
        #expect(kept.warnings == [PlanWarning(object: "old-1", message: "orphan: service old is not in the project (--remove-orphans removes it)")])
        var options = UpOptions()
        options.removeOrphans = true
        let removed = try Planner.plan(desired: desired, observed: observed, options: options)
        #expect(removed.summary == ["remove old-1: orphan"])
        #expect(removed.warnings.isEmpty)
    }

    @Test("containers of services a profile disabled and one-off containers are not orphans")
    func notOrphans() throws {
        var observed = try Fixture.running(Fixture.webAndDB())
        observed.containers.append(Fixture.container(service: "debug", number: 1))
        observed.containers.append(Fixture.container(service: "web", number: 7, oneoff: true))
        let project = Fixture.webAndDB()
        var withDisabled = project
        withDisabled.disabledServices["debug"] = Fixture.service("debug")
        var options = UpOptions()
        options.removeOrphans = true
        let plan = try Planner.plan(desired: try Fixture.desired(withDisabled), observed: observed, options: options)
        #expect(plan.isEmpty)
        #expect(plan.warnings.isEmpty)
    }

    @Test("containers of another project are ignored")
    func otherProject() throws {
        var observed = try Fixture.running(Fixture.webAndDB())
        observed.containers.append(Fixture.container(project: "other", service: "x", number: 1))
        var options = UpOptions()
        options.removeOrphans = true
        #expect(try Planner.plan(desired: try Fixture.desired(Fixture.webAndDB()), observed: observed, options: options).isEmpty)
    }

    @Test("an unknown service in the scope or in --scale is an error naming it")
    func unknownService() throws {
        var options = UpOptions()
        options.scale = ["nope": 2]
        let error = #expect(throws: ReconcilerError.self) {
            try Planner.plan(desired: try Fixture.desired(Fixture.webAndDB()), observed: ObservedState(project: "demo"), options: options)
        }
        #expect(error?.code == .invalidProject)
        #expect(error?.object == "service nope")
    }
}

extension ScaleAndOrphanTests {
    @Test("a second container with the same number is removed, the older one kept")
    func duplicateNumbers() throws {
        var observed = try Fixture.running(Fixture.project([Fixture.service("db")]))
        var twin = observed.containers[0]
        twin.id = "id-db-1-twin"
        twin.created += 10
        observed.containers.append(twin)
        let plan = try Planner.plan(desired: try Fixture.desired(Fixture.project([Fixture.service("db")])),
                                    observed: observed, options: UpOptions())
        #expect(plan.summary == ["remove db-1: duplicate of db-1"])
        #expect(plan.steps.first?.container?.id == "id-db-1-twin")
    }
}

extension ScaleAndOrphanTests {
    @Test("a network whose definition changed is a warning, not a silent no-op")
    func networkDrift() throws {
        let running = Fixture.webAndDB { $0.networks = ["back": nil] }
        var wantedProject = running
        var back = NetworkDefinition()
        back.internalOnly = true
        wantedProject.networks["back"] = back
        var runningProject = running
        runningProject.networks["back"] = NetworkDefinition()
        let observed = try Fixture.running(runningProject)
        let same = try Planner.plan(desired: try Fixture.desired(runningProject), observed: observed, options: UpOptions())
        #expect(same.isEmpty && same.warnings.isEmpty)
        let plan = try Planner.plan(desired: try Fixture.desired(wantedProject), observed: observed, options: UpOptions())
        #expect(plan.isEmpty)
        #expect(plan.warnings == [PlanWarning(object: "network demo_back", message: "its definition changed; `down` then `up` applies it")])
    }
}
