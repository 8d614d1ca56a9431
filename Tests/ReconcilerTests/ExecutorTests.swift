import ComposeSpec
import EngineAPI
import Synchronization
import Testing
@testable import Reconciler

/// `PlanExecutor` against `InMemoryEngine`: what it calls, in which order, and what it reports.
@Suite struct ExecutorTests {
    static let images = ["busybox": Fixture.busybox, "demo-worker": Fixture.busybox]

    /// `up`: resolve images, plan, apply; returns the plan and the report.
    @discardableResult
    static func up(_ project: Project, on engine: InMemoryEngine, options: UpOptions = UpOptions(),
                   parallelism: Int = 4) async throws -> (Plan, ApplyReport) {
        let executor = PlanExecutor(engine: engine, parallelism: parallelism)
        let desired = try await executor.ensureImages(try DesiredState(project: project))
        let observed = try await engine.observe(project: project.name)
        let plan = try Planner.plan(desired: desired, observed: observed, options: options)
        return (plan, await executor.apply(plan, desired: desired, observed: observed))
    }

    static func replan(_ project: Project, on engine: InMemoryEngine) async throws -> Plan {
        let desired = try await PlanExecutor(engine: engine).ensureImages(try DesiredState(project: project))
        return try Planner.plan(desired: desired, observed: try await engine.observe(project: project.name), options: UpOptions())
    }

    @Test("up, then planning again, gives an empty plan")
    func idempotence() async throws {
        let engine = InMemoryEngine(images: Self.images)
        let project = Fixture.webAndDB { $0.scale = 2 }
        let (plan, report) = try await Self.up(project, on: engine)
        #expect(report.succeeded, "\(report.failures)")
        #expect(report.completed == plan.steps)
        #expect(await engine.containerNames == ["demo-db-1", "demo-web-1", "demo-web-2"])
        let again = try await Self.replan(project, on: engine)
        #expect(again.isEmpty, "\(again.summary)")
        #expect(again.rendered() == "nothing to do\n")
    }

    @Test("a changed environment recreates only that service and keeps the others' ids")
    func recreateOne() async throws {
        let engine = InMemoryEngine(images: Self.images)
        try await Self.up(Fixture.webAndDB(), on: engine)
        let dbID = await engine.id(of: "demo-db-1")
        let webID = await engine.id(of: "demo-web-1")
        let changed = Fixture.webAndDB { $0.environment = ["MODE": "fast"] }
        let (plan, report) = try await Self.up(changed, on: engine)
        #expect(plan.summary == ["recreate web-1: environment changed"])
        #expect(report.succeeded)
        #expect(await engine.id(of: "demo-db-1") == dbID)
        #expect(await engine.id(of: "demo-web-1") != webID)
        #expect(await engine.containerNames == ["demo-db-1", "demo-web-1"])
        #expect(try await Self.replan(changed, on: engine).isEmpty)
    }

    @Test("a recreate creates the replacement before it stops the old container")
    func recreateOrder() async throws {
        let engine = InMemoryEngine(images: Self.images)
        try await Self.up(Fixture.project([Fixture.service("db")]), on: engine)
        let oldID = await engine.id(of: "demo-db-1") ?? ""
        try await Self.up(Fixture.project([Fixture.service("db") { $0.user = "7" }]), on: engine)
        let calls = await engine.calls.filter { !$0.hasPrefix("observe") && !$0.hasPrefix("image") }
        #expect(Array(calls.suffix(5)) == [
            "create \(oldID)_demo-db-1", "stop demo-db-1 SIGTERM 10.0", "remove demo-db-1",
            "rename \(oldID)_demo-db-1 demo-db-1", "start demo-db-1",
        ])
    }

    @Test("images are resolved for every service before any container is touched")
    func imagesFirst() async throws {
        let engine = InMemoryEngine(images: Self.images)
        try await Self.up(Fixture.webAndDB(), on: engine)
        await engine.setImage("busybox", id: Fixture.busyboxNew)
        let before = await engine.calls.count
        let (plan, report) = try await Self.up(Fixture.webAndDB(), on: engine)
        #expect(plan.summary.count == 2)
        #expect(report.succeeded)
        let calls = await engine.calls.dropFirst(before)
        let firstContainerCall = calls.firstIndex { $0.hasPrefix("create") || $0.hasPrefix("stop") } ?? calls.endIndex
        let lastImageCall = calls.lastIndex { $0.hasPrefix("image") } ?? calls.startIndex
        #expect(lastImageCall < firstContainerCall)
    }

    @Test("a missing image fails before anything runs is touched, naming the service and the image")
    func imageFailure() async throws {
        let engine = InMemoryEngine(images: Self.images)
        try await Self.up(Fixture.webAndDB(), on: engine)
        let before = await engine.calls.count
        let changed = Fixture.webAndDB { $0.image = "nginx"; $0.environment = ["A": "1"] }
        let executor = PlanExecutor(engine: engine)
        let desired = try DesiredState(project: changed)
        let observed = try await engine.observe(project: "demo")
        let plan = try Planner.plan(desired: desired, observed: observed, options: UpOptions())
        let report = await executor.apply(plan, desired: desired, observed: observed)
        #expect(report.failures.map(\.code) == [.image])
        #expect(report.failures.first?.service == "web")
        #expect(report.failures.first?.object == "image nginx")
        #expect(report.completed.isEmpty)
        #expect(report.skipped == plan.steps)
        let calls = await engine.calls.dropFirst(before)
        #expect(!calls.contains { $0.hasPrefix("stop") || $0.hasPrefix("create") || $0.hasPrefix("remove") })
        #expect(await engine.containers.values.allSatisfy { $0.state == .running })
    }

    @Test("a failed create names the service, skips its dependents and leaves the rest running")
    func createFailure() async throws {
        let engine = InMemoryEngine(images: Self.images)
        await engine.failCreate(of: "demo-db-1")
        let project = Fixture.project([
            Fixture.service("db"),
            Fixture.service("web") { $0.dependsOn = ["db": ServiceDependency()] },
            Fixture.service("cache"),
        ])
        let (_, report) = try await Self.up(project, on: engine)
        #expect(report.failures.map(\.code) == [.container, .skipped])
        #expect(report.failures.map(\.service) == ["db", "web"])
        #expect(report.failures.first?.description == "service db: db-1: create: container demo-db-1: injected failure")
        #expect(report.skipped.compactMap(\.service) == ["web"])
        #expect(await engine.containerNames == ["demo-cache-1"])
        #expect(await engine.containers.values.allSatisfy { $0.state == .running })
    }

    @Test("independent services run at most `parallelism` at a time, and do overlap")
    func boundedParallelism() async throws {
        let engine = InMemoryEngine(images: Self.images)
        await engine.setDelay(.milliseconds(20))
        let project = Fixture.project((1...6).map { Fixture.service("s\($0)") })
        let (_, report) = try await Self.up(project, on: engine, parallelism: 2)
        #expect(report.succeeded)
        #expect(await engine.maxInFlight == 2)
    }

    @Test("dependencies are applied before dependents even with parallelism")
    func dependencyOrderApplied() async throws {
        let engine = InMemoryEngine(images: Self.images)
        await engine.setDelay(.milliseconds(5))
        _ = try await Self.up(DependencyOrderTests.chain, on: engine, parallelism: 4)
        let starts = await engine.calls.filter { $0.hasPrefix("start") }
        func index(_ name: String) -> Int { starts.firstIndex(of: "start demo-\(name)-1") ?? -1 }
        #expect(index("cache") < index("app"))
        #expect(index("app") < index("proxy"))
        #expect(starts.count == 4)
    }

    @Test("down removes containers dependents first, then networks and, with -v, volumes")
    func down() async throws {
        let engine = InMemoryEngine(images: Self.images)
        let project = DownPlanTests.project
        try await Self.up(project, on: engine)
        #expect(await engine.volumes.keys.sorted() == ["demo_data"])
        let observed = try await engine.observe(project: "demo")
        var options = DownOptions()
        options.removeVolumes = true
        let plan = Planner.down(observed: observed, options: options)
        let report = await PlanExecutor(engine: engine, parallelism: 4).apply(plan, desired: nil, observed: observed)
        #expect(report.succeeded, "\(report.failures)")
        #expect(await engine.containers.isEmpty)
        #expect(await engine.networks.isEmpty)
        #expect(await engine.volumes.isEmpty)
        let removals = await engine.calls.filter { $0.hasPrefix("remove demo-") }
        #expect(removals.last == "remove demo-db-1")
        let after = try await engine.observe(project: "demo")
        #expect(Planner.down(observed: after, options: options).isEmpty)
    }

    @Test("containers a service shares a namespace with are resolved to the new container id")
    func namespaceSharing() async throws {
        let engine = InMemoryEngine(images: Self.images)
        let project = Fixture.project([Fixture.service("vpn"), Fixture.service("app") { $0.networkMode = "service:vpn" }])
        try await Self.up(project, on: engine)
        let vpnID = await engine.id(of: "demo-vpn-1") ?? ""
        let app = await engine.containers.values.first { $0.spec.name == "demo-app-1" }
        #expect(app?.spec.namespaces.network == .container(vpnID))
        #expect(app?.spec.networks == [])
    }
}

extension ExecutorTests {
    static let loadedStack = """
        services:
          db:
            image: busybox
            command: ["sh", "-c", "sleep 1000"]
            volumes: [data:/var/lib/db]
          web:
            image: busybox
            environment:
              MODE: ${MODE:-slow}
            depends_on: {db: {condition: service_started, restart: true}}
            ports: ["8080:80"]
            networks: [front, default]
          worker:
            image: busybox
            network_mode: service:web
        networks: {front: {}}
        volumes: {data: {}}
        """

    @Test("a stack loaded from YAML comes up, is unchanged on reload, and a changed variable recreates web and what shares its namespace")
    func loadedProject() async throws {
        let engine = InMemoryEngine(images: Self.images)
        let (first, report) = try await Self.up(try Fixture.load(Self.loadedStack), on: engine)
        #expect(report.succeeded, "\(report.failures)")
        #expect(first.summary == [
            "create network demo_default: used by db, web", "create network demo_front: used by web",
            "create volume demo_data: used by db",
            "create db-1: new service", "create web-1: new service", "create worker-1: new service",
        ])
        #expect(try await Self.replan(try Fixture.load(Self.loadedStack), on: engine).isEmpty)
        let changed = try Fixture.load(Self.loadedStack, environment: ["MODE": "fast"])
        let (second, secondReport) = try await Self.up(changed, on: engine)
        #expect(second.summary == ["recreate web-1: environment changed",
                                   "recreate worker-1: network_mode service:web is recreated"])
        #expect(secondReport.succeeded)
        let worker = await engine.containers.values.first { $0.spec.name == "demo-worker-1" }
        #expect(worker?.spec.namespaces.network == .container(await engine.id(of: "demo-web-1") ?? ""))
        #expect(try await Self.replan(changed, on: engine).isEmpty)
    }
}

extension ExecutorTests {
    @Test("a recreate interrupted after the old container was removed is finished by the next up")
    func interruptedRecreate() async throws {
        let engine = InMemoryEngine(images: Self.images)
        let project = Fixture.project([Fixture.service("db")])
        try await Self.up(project, on: engine)
        let oldID = await engine.id(of: "demo-db-1") ?? ""
        // What a kill -9 between "remove old" and "rename" leaves: only the replacement, under its
        // temporary name (after the id of the container it replaced), created but not started.
        await engine.renameForTest(oldID, to: "0123456789ab_demo-db-1")
        await engine.setState(of: "0123456789ab_demo-db-1", .created)
        let (plan, report) = try await Self.up(project, on: engine)
        #expect(plan.summary == ["recreate db-1: left over from an interrupted recreate"])
        #expect(report.succeeded)
        let calls = await engine.calls
        #expect(await engine.containerNames == ["demo-db-1"], "\(calls)")
        #expect(try await Self.replan(project, on: engine).isEmpty)
    }

    @Test("a recreate interrupted before the old container was removed leaves a duplicate that the next up removes")
    func interruptedRecreateDuplicate() async throws {
        let engine = InMemoryEngine(images: Self.images)
        let project = Fixture.project([Fixture.service("db")])
        try await Self.up(project, on: engine)
        let oldID = await engine.id(of: "demo-db-1") ?? ""
        // What a kill -9 between "create replacement" and "stop old" leaves.
        let desired = try Fixture.desired(project)
        var spec = try ContainerSpecBuilder.spec(for: try #require(desired.services["db"]), number: 1,
                                                 desired: desired, imageID: Fixture.busybox, containerIDs: [:])
        spec.name = "\(oldID)_demo-db-1"
        _ = try await engine.createContainer(spec)
        let (plan, report) = try await Self.up(project, on: engine)
        #expect(plan.summary == ["remove db-1: duplicate of db-1"])
        #expect(report.succeeded)
        #expect(await engine.containerNames == ["demo-db-1"])
        #expect(await engine.id(of: "demo-db-1") == oldID)
    }
}

extension ExecutorTests {
    @Test("--no-start creates without starting; a later up starts them")
    func noStart() async throws {
        let engine = InMemoryEngine(images: Self.images)
        var options = UpOptions()
        options.noStart = true
        let (_, report) = try await Self.up(Fixture.webAndDB(), on: engine, options: options)
        #expect(report.succeeded)
        #expect(await engine.containers.values.allSatisfy { $0.state == .created })
        #expect(await !engine.calls.contains { $0.hasPrefix("start") })
        let (plan, _) = try await Self.up(Fixture.webAndDB(), on: engine)
        #expect(plan.summary == ["start db-1: created, not started", "start web-1: created, not started"])
        #expect(await engine.containers.values.allSatisfy { $0.state == .running })
    }

    @Test("scaling down through the executor stops and removes the highest replicas")
    func scaleDown() async throws {
        let engine = InMemoryEngine(images: Self.images)
        try await Self.up(Fixture.project([Fixture.service("db") { $0.scale = 3 }]), on: engine)
        let project = Fixture.project([Fixture.service("db") { $0.scale = 1 }])
        let (_, report) = try await Self.up(project, on: engine)
        #expect(report.succeeded)
        #expect(await engine.containerNames == ["demo-db-1"])
        #expect(await engine.calls.suffix(4) == ["stop demo-db-3 SIGTERM 10.0", "remove demo-db-3",
                                                  "stop demo-db-2 SIGTERM 10.0", "remove demo-db-2"])
        #expect(try await Self.replan(project, on: engine).isEmpty)
    }
}

extension ExecutorTests {
    @Test("an image shared by several services is resolved once")
    func sharedImageOnce() async throws {
        let engine = InMemoryEngine(images: Self.images)
        let desired = try await PlanExecutor(engine: engine).ensureImages(try DesiredState(project: DependencyOrderTests.chain))
        #expect(await engine.calls == ["image busybox"])
        #expect(desired.services.values.allSatisfy { $0.imageID == Fixture.busybox })
    }

    @Test("image failures name the first service's image and count the others")
    func imageFailures() async throws {
        let engine = InMemoryEngine(images: [:])
        let project = Fixture.project([Fixture.service("a", image: "alpine"), Fixture.service("b", image: "nginx")])
        let error = await #expect(throws: ReconcilerError.self) {
            try await PlanExecutor(engine: engine).ensureImages(try DesiredState(project: project))
        }
        #expect(error?.code == .image)
        #expect(error?.service == "a")
        #expect(error?.description == "service a: image alpine: image alpine: not found in the test registry (and 1 more: image nginx)")
    }
}

/// Progress events gathered synchronously from the executor's tasks.
final class EventLog: Sendable {
    private let storage = Mutex<[String]>([])
    func append(_ event: String) { storage.withLock { $0.append(event) } }
    var events: [String] { storage.withLock { $0 } }
}

extension ExecutorTests {
    @Test("progress reports each step's start and end, and failures with their cause")
    func progress() async throws {
        let engine = InMemoryEngine(images: Self.images)
        await engine.failCreate(of: "demo-web-1")
        let log = EventLog()
        let executor = PlanExecutor(engine: engine, parallelism: 1) { step, event in
            let text: String
            switch event {
            case .started: text = "start \(step.object)"
            case .done: text = "done \(step.object)"
            case .failed(let error): text = "failed \(step.object): \(error.message)"
            }
            log.append(text)
        }
        let desired = try await executor.ensureImages(try DesiredState(project: Fixture.webAndDB()))
        let observed = try await engine.observe(project: "demo")
        let plan = try Planner.plan(desired: desired, observed: observed, options: UpOptions())
        _ = await executor.apply(plan, desired: desired, observed: observed)
        #expect(log.events == [
            "start network demo_default", "done network demo_default", "start db-1", "done db-1",
            "start web-1", "failed web-1: create: container demo-web-1: injected failure",
        ])
    }
}

extension ExecutorTests {
    @Test("a network that cannot be created stops the apply before any container, naming the network")
    func networkFailure() async throws {
        let engine = InMemoryEngine(images: Self.images)
        await engine.failCreate(of: "demo_default")
        let (plan, report) = try await Self.up(Fixture.webAndDB(), on: engine)
        #expect(report.failures.map(\.code) == [.network])
        #expect(report.failures.first?.object == "network demo_default")
        #expect(report.completed.isEmpty)
        #expect(report.skipped == Array(plan.steps.dropFirst()))
        #expect(await engine.containers.isEmpty)
    }
}
