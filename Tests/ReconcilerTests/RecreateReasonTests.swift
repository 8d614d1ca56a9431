import ComposeSpec
import EngineAPI
import Testing
@testable import Reconciler

/// Every reason `up` recreates (or starts) an existing container, as a table: the project that
/// is running, the project in the files now, the flags, and the steps expected.
@Suite struct RecreateReasonTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var testDescription: String
        var running: Project
        var wanted: Project
        var options = UpOptions()
        var recordConfig = true
        var state: ObservedContainer.State = .running
        /// Image ids the files resolve to now, by service (default: the running ones).
        var imageIDs: [String: String] = [:]
        var expected: [String]
    }

    static func options(_ edit: (inout UpOptions) -> Void) -> UpOptions {
        var options = UpOptions()
        edit(&options)
        return options
    }

    static let cases: [Case] = [
        Case(testDescription: "an unchanged stack gives an empty plan",
             running: Fixture.webAndDB(), wanted: Fixture.webAndDB(), expected: []),
        Case(testDescription: "a changed environment recreates only that service, naming the key",
             running: Fixture.webAndDB(), wanted: Fixture.webAndDB { $0.environment = ["MODE": "fast"] },
             expected: ["recreate web-1: environment changed"]),
        Case(testDescription: "several changed keys are named in order",
             running: Fixture.webAndDB(),
             wanted: Fixture.webAndDB { $0.environment = ["MODE": "fast"]; $0.command = ["httpd", "-f"] },
             expected: ["recreate web-1: command, environment changed"]),
        Case(testDescription: "without a recorded configuration the reason is generic",
             running: Fixture.webAndDB(), wanted: Fixture.webAndDB { $0.user = "1000" }, recordConfig: false,
             expected: ["recreate web-1: configuration changed"]),
        Case(testDescription: "a new image id recreates the services that use it",
             running: Fixture.webAndDB(), wanted: Fixture.webAndDB(), imageIDs: ["db": Fixture.busyboxNew],
             expected: ["recreate db-1: image changed (sha256:bbbbbbbbbbbb → sha256:cccccccccccc)"]),
        Case(testDescription: "a service in another's network namespace follows its recreation",
             running: Fixture.project([Fixture.service("vpn"), Fixture.service("app") { $0.networkMode = "service:vpn" }]),
             wanted: Fixture.project([Fixture.service("vpn") { $0.environment = ["A": "1"] },
                                      Fixture.service("app") { $0.networkMode = "service:vpn" }]),
             expected: ["recreate vpn-1: environment changed", "recreate app-1: network_mode service:vpn is recreated"]),
        Case(testDescription: "a service sharing another's IPC namespace follows its recreation",
             running: Fixture.project([Fixture.service("a"), Fixture.service("b") { $0.ipc = "service:a" }]),
             wanted: Fixture.project([Fixture.service("a") { $0.user = "1" }, Fixture.service("b") { $0.ipc = "service:a" }]),
             expected: ["recreate a-1: user changed", "recreate b-1: ipc service:a is recreated"]),
        Case(testDescription: "a service sharing another's PID namespace follows its recreation",
             running: Fixture.project([Fixture.service("a"), Fixture.service("b") { $0.pid = "service:a" }]),
             wanted: Fixture.project([Fixture.service("a") { $0.user = "1" }, Fixture.service("b") { $0.pid = "service:a" }]),
             expected: ["recreate a-1: user changed", "recreate b-1: pid service:a is recreated"]),
        Case(testDescription: "volumes_from follows the recreation of the service it takes volumes from",
             running: Fixture.project([Fixture.service("data"), Fixture.service("app") { $0.volumesFrom = ["data"] }]),
             wanted: Fixture.project([Fixture.service("data") { $0.workingDir = "/d" },
                                      Fixture.service("app") { $0.volumesFrom = ["data"] }]),
             expected: ["recreate data-1: working_dir changed", "recreate app-1: volumes_from data, which is recreated"]),
        Case(testDescription: "depends_on with restart: true follows the dependency's recreation",
             running: Fixture.webAndDB { $0.dependsOn = ["db": ServiceDependency(restart: true)] },
             wanted: Fixture.webAndDB({ $0.dependsOn = ["db": ServiceDependency(restart: true)] }, { $0.environment = ["X": "1"] }),
             expected: ["recreate db-1: environment changed", "recreate web-1: depends on db (restart: true), which is recreated"]),
        Case(testDescription: "plain depends_on does not follow the dependency's recreation",
             running: Fixture.webAndDB(), wanted: Fixture.webAndDB({ _ in }, { $0.environment = ["X": "1"] }),
             expected: ["recreate db-1: environment changed"]),
        Case(testDescription: "a change of depends_on alone recreates nothing (it is not in the config hash)",
             running: Fixture.webAndDB(),
             wanted: Fixture.webAndDB { $0.dependsOn = ["db": ServiceDependency(condition: .serviceHealthy)] },
             expected: []),
        Case(testDescription: "--force-recreate recreates unchanged services",
             running: Fixture.webAndDB(), wanted: Fixture.webAndDB(), options: options { $0.forceRecreate = true },
             expected: ["recreate db-1: forced", "recreate web-1: forced"]),
        Case(testDescription: "--force-recreate of one service leaves its unchanged dependencies",
             running: Fixture.webAndDB(), wanted: Fixture.webAndDB(),
             options: options { $0.forceRecreate = true; $0.services = ["web"] },
             expected: ["recreate web-1: forced"]),
        Case(testDescription: "--always-recreate-deps recreates the dependencies too",
             running: Fixture.webAndDB(), wanted: Fixture.webAndDB(),
             options: options { $0.forceRecreate = true; $0.alwaysRecreateDeps = true; $0.services = ["web"] },
             expected: ["recreate db-1: forced", "recreate web-1: forced"]),
        Case(testDescription: "--no-recreate keeps changed containers",
             running: Fixture.webAndDB(), wanted: Fixture.webAndDB { $0.environment = ["MODE": "fast"] },
             options: options { $0.noRecreate = true }, expected: []),
        Case(testDescription: "a dead container is recreated",
             running: Fixture.project([Fixture.service("db")]), wanted: Fixture.project([Fixture.service("db")]),
             state: .dead, expected: ["recreate db-1: container is dead"]),
        Case(testDescription: "an exited container is started",
             running: Fixture.project([Fixture.service("db")]), wanted: Fixture.project([Fixture.service("db")]),
             state: .exited, expected: ["start db-1: exited (code 0)"]),
        Case(testDescription: "a created container is started",
             running: Fixture.project([Fixture.service("db")]), wanted: Fixture.project([Fixture.service("db")]),
             state: .created, expected: ["start db-1: created, not started"]),
        Case(testDescription: "--no-start leaves stopped containers stopped",
             running: Fixture.project([Fixture.service("db")]), wanted: Fixture.project([Fixture.service("db")]),
             options: options { $0.noStart = true }, state: .exited, expected: []),
        Case(testDescription: "at boot, an exited unless-stopped container is started when the user did not stop it",
             running: Fixture.project([Fixture.service("db") { $0.restart = "unless-stopped" }]),
             wanted: Fixture.project([Fixture.service("db") { $0.restart = "unless-stopped" }]),
             options: options { $0.keepUserStops = true }, state: .exited, expected: ["start db-1: exited (code 0)"]),
        Case(testDescription: "a paused container is left as it is",
             running: Fixture.project([Fixture.service("db")]), wanted: Fixture.project([Fixture.service("db")]),
             state: .paused, expected: []),
    ]

    @Test("recreate reasons", arguments: cases)
    func reasons(_ testCase: Case) throws {
        let observed = try Fixture.running(testCase.running, recordConfig: testCase.recordConfig, state: testCase.state)
        var desired = try Fixture.desired(testCase.wanted)
        for (name, id) in testCase.imageIDs { desired.services[name]?.imageID = id }
        let plan = try Planner.plan(desired: desired, observed: observed, options: testCase.options)
        #expect(plan.summary == testCase.expected)
        #expect(plan.warnings.isEmpty)
    }

    struct UserStopCase: Sendable, CustomTestStringConvertible {
        var testDescription: String
        var restart: String
        var keepUserStops: Bool
        var expected: [String]
    }

    static let userStopCases: [UserStopCase] = [
        UserStopCase(testDescription: "at boot, unless-stopped stopped by the user stays stopped", restart: "unless-stopped",
                     keepUserStops: true, expected: []),
        UserStopCase(testDescription: "at boot, always comes back even when the user stopped it", restart: "always",
                     keepUserStops: true, expected: ["start db-1: exited (code 0)"]),
        UserStopCase(testDescription: "up starts what the user stopped, as docker compose", restart: "unless-stopped",
                     keepUserStops: false, expected: ["start db-1: exited (code 0)"]),
    ]

    @Test("containers the user stopped, at boot and by up", arguments: userStopCases)
    func userStops(_ testCase: UserStopCase) throws {
        let project = Fixture.project([Fixture.service("db") { $0.restart = testCase.restart }])
        var observed = try Fixture.running(project, state: .exited)
        for index in observed.containers.indices { observed.containers[index].stoppedByUser = true }
        var options = UpOptions()
        options.keepUserStops = testCase.keepUserStops
        let plan = try Planner.plan(desired: try Fixture.desired(project), observed: observed, options: options)
        #expect(plan.summary == testCase.expected)
    }

    @Test("recreation carries the stop signal, grace period and --renew-anon-volumes")
    func recreateCarriesStopPolicy() throws {
        let wanted = Fixture.project([Fixture.service("db") {
            $0.stopSignal = "SIGINT"
            $0.stopGracePeriod = ComposeDuration(nanoseconds: 3_000_000_000)
            $0.user = "1"
        }])
        let observed = try Fixture.running(Fixture.project([Fixture.service("db") {
            $0.stopSignal = "SIGINT"
            $0.stopGracePeriod = ComposeDuration(nanoseconds: 3_000_000_000)
        }]))
        var options = UpOptions()
        options.renewAnonVolumes = true
        let plan = try Planner.plan(desired: try Fixture.desired(wanted), observed: observed, options: options)
        let ref = PlanStep.ContainerRef(service: "db", number: 1, name: "demo-db-1", id: "id-db-1")
        #expect(plan.steps.map(\.action) == [.recreateContainer(ref, stop: .init(signal: "SIGINT", gracePeriod: 3),
                                                                start: true, renewAnonymousVolumes: true)])
        options.timeout = 1
        let timed = try Planner.plan(desired: try Fixture.desired(wanted), observed: observed, options: options)
        #expect(timed.steps.map(\.action) == [.recreateContainer(ref, stop: .init(signal: "SIGINT", gracePeriod: 1),
                                                                 start: true, renewAnonymousVolumes: true)])
    }
}

extension RecreateReasonTests {
    @Test("a service in another's network namespace follows when that service's container is gone and made anew")
    func namespaceOwnerMissing() throws {
        let project = Fixture.project([Fixture.service("vpn"), Fixture.service("app") { $0.networkMode = "service:vpn" }])
        var observed = try Fixture.running(project)
        observed.containers.removeAll { $0.service == "vpn" }
        let plan = try Planner.plan(desired: try Fixture.desired(project), observed: observed, options: UpOptions())
        #expect(plan.summary == ["create vpn-1: new service", "recreate app-1: network_mode service:vpn gets a new container"])
    }

    @Test("scaling up a dependency with restart: true does not recreate its dependents")
    func scaleUpDependency() throws {
        let running = Fixture.webAndDB { $0.dependsOn = ["db": ServiceDependency(restart: true)] }
        let wanted = Fixture.webAndDB({ $0.dependsOn = ["db": ServiceDependency(restart: true)] }, { $0.scale = 2 })
        let plan = try Planner.plan(desired: try Fixture.desired(wanted), observed: try Fixture.running(running), options: UpOptions())
        #expect(plan.summary == ["create db-2: scale 1→2"])
    }
}

extension RecreateReasonTests {
    @Test("a recreated container is stopped the way it was created to be stopped, not the new way")
    func oldStopSettings() throws {
        let running = Fixture.project([Fixture.service("db") {
            $0.stopSignal = "SIGINT"
            $0.stopGracePeriod = ComposeDuration(nanoseconds: 1_500_000_000)
        }])
        let wanted = Fixture.project([Fixture.service("db") { $0.stopSignal = "SIGQUIT" }])
        let plan = try Planner.plan(desired: try Fixture.desired(wanted), observed: try Fixture.running(running), options: UpOptions())
        guard case .recreateContainer(_, let stop, _, _)? = plan.steps.first?.action else {
            Issue.record("expected a recreate, got \(plan.summary)")
            return
        }
        #expect(plan.summary == ["recreate db-1: stop_grace_period, stop_signal changed"])
        #expect(stop == PlanStep.StopPolicy(signal: "SIGINT", gracePeriod: 1.5))
    }
}
