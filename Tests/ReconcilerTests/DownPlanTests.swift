import ComposeSpec
import EngineAPI
import Testing
@testable import Reconciler

/// `down`: reverse order, volumes with -v, images with --rmi, orphans.
@Suite struct DownPlanTests {
    static let project = Fixture.project([
        Fixture.service("db") { $0.volumes = [ServiceVolume(type: .volume, source: "data", target: "/data")] },
        Fixture.service("web") { $0.dependsOn = ["db": ServiceDependency()] },
        Fixture.service("worker", image: "") { $0.image = nil; $0.dependsOn = ["db": ServiceDependency()] },
    ]) { $0.volumes["data"] = VolumeDefinition() }

    @Test("containers go dependents first, then networks; volumes stay without -v")
    func order() throws {
        let observed = try Fixture.running(Self.project)
        let plan = Planner.down(observed: observed, desired: try Fixture.desired(Self.project), options: DownOptions())
        #expect(plan.summary == ["remove worker-1: down", "remove web-1: down", "remove db-1: down",
                                 "remove network demo_default: down"])
        #expect(plan.waitsFor == ["db": ["web", "worker"], "web": [], "worker": []])
    }

    @Test("down SERVICE removes only those services' containers; networks and volumes go with the last container")
    func someServices() throws {
        let observed = try Fixture.running(Self.project)
        let desired = try Fixture.desired(Self.project)
        var options = DownOptions()
        options.removeVolumes = true
        options.services = ["web", "worker"]
        let plan = Planner.down(observed: observed, desired: desired, options: options)
        #expect(plan.summary == ["remove worker-1: down", "remove web-1: down"])
        options.services = ["web", "worker", "db"]
        let all = Planner.down(observed: observed, desired: desired, options: options)
        #expect(all.summary == ["remove worker-1: down", "remove web-1: down", "remove db-1: down",
                                "remove network demo_default: down", "remove volume demo_data: down -v"])
    }

    @Test("without compose files the order comes from the depends_on labels")
    func orderFromLabels() throws {
        let observed = try Fixture.running(Self.project)
        let plan = Planner.down(observed: observed, options: DownOptions())
        #expect(plan.steps.compactMap(\.service) == ["worker", "web", "db"])
        #expect(plan.waitsFor["db"] == ["web", "worker"])
    }

    @Test("-v removes the project's volumes; --rmi local only images named after their service; --rmi all every image")
    func volumesAndImages() throws {
        let observed = try Fixture.running(Self.project)
        let desired = try Fixture.desired(Self.project)
        var options = DownOptions()
        options.removeVolumes = true
        options.removeImages = .local
        let local = Planner.down(observed: observed, desired: desired, options: options)
        #expect(Array(local.summary.suffix(3)) == ["remove network demo_default: down", "remove volume demo_data: down -v",
                                                   "remove image demo-worker: down --rmi local"])
        options.removeImages = .all
        let all = Planner.down(observed: observed, desired: desired, options: options)
        #expect(Array(all.summary.suffix(2)) == ["remove image busybox: down --rmi all", "remove image demo-worker: down --rmi all"])
    }

    @Test("stopped containers are removed without a stop; running ones with the service's stop policy")
    func stopOnlyRunning() throws {
        var observed = try Fixture.running(Fixture.project([Fixture.service("db") { $0.stopSignal = "SIGQUIT" }]))
        observed.containers.append(Fixture.container(service: "db", number: 2, state: .exited))
        var options = DownOptions()
        options.timeout = 2
        let plan = Planner.down(observed: observed, desired: try Fixture.desired(Fixture.project([Fixture.service("db") { $0.stopSignal = "SIGQUIT" }])),
                                options: options)
        #expect(plan.steps.map(\.action) == [
            .removeContainer(.init(service: "db", number: 1, name: "demo-db-1", id: "id-db-1"),
                             stop: .init(signal: "SIGQUIT", gracePeriod: 2), removeAnonymousVolumes: false),
            .removeContainer(.init(service: "db", number: 2, name: "demo-db-2", id: "id-db-2"), stop: nil, removeAnonymousVolumes: false),
            .removeNetwork(name: "demo_default"),
        ])
    }

    @Test("orphans and one-off containers stay without --remove-orphans, with a warning each")
    func orphans() throws {
        var observed = try Fixture.running(Fixture.webAndDB())
        observed.containers.append(Fixture.container(service: "old", number: 1))
        observed.containers.append(Fixture.container(service: "web", number: 9, oneoff: true))
        let desired = try Fixture.desired(Fixture.webAndDB())
        let kept = Planner.down(observed: observed, desired: desired, options: DownOptions())
        #expect(kept.warnings.map(\.object) == ["web-9", "old-1"])  // services by stop order, unknown ones last
        #expect(!kept.summary.contains { $0.hasPrefix("remove old-1") || $0.hasPrefix("remove web-9") })
        var options = DownOptions()
        options.removeOrphans = true
        let removed = Planner.down(observed: observed, desired: desired, options: options)
        #expect(removed.warnings.isEmpty)
        #expect(removed.summary.contains("remove old-1: orphan"))
        #expect(removed.summary.contains("remove web-9: orphan"))
    }
}
