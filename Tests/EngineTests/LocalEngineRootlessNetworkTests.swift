import Engine
import EngineAPI
import Foundation
import SystemSupport
import Testing

/// Networks as the unprivileged `berth-test` user: the test (root) re-runs this test bundle as
/// that user, where `child` drives a `LocalEngine` whose bridges live in the per-user network
/// namespace (`berth-init netns-holder`).
@Suite("LocalEngine rootless networks")
struct LocalEngineRootlessNetworkTests {
    static let childKey = "BERTH_ENGINE_ROOTLESS_NETWORK_AREA"

    @Test("as an unprivileged user: two containers on a network reach each other by IP; removing the network ends the namespace",
          .enabled(if: LocalEngineRootlessTests.unavailableReason == nil, "\(LocalEngineRootlessTests.unavailableReason ?? "")"))
    func rootless() throws {
        let area = NSTemporaryDirectory() + "berth-net-rootless-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: area) }
        for directory in ["bin", "host", "out"] {
            try FileManager.default.createDirectory(atPath: area + "/" + directory, withIntermediateDirectories: true)
        }
        let bundle = URL(fileURLWithPath: EngineFixture.productsDirectory + "/BerthPackageTests.xctest").path
        for (source, name) in [(bundle, "tests"), (EngineFixture.initPath, "berth-init")] {
            #expect(try EngineFixture.run(["/bin/cp", source, area + "/bin/" + name]) == 0)
        }
        #expect(try EngineFixture.run(["/bin/chown", "-R", LocalEngineRootlessTests.user, area]) == 0)
        let status = try EngineFixture.run([
            "/usr/sbin/runuser", "-u", LocalEngineRootlessTests.user, "--", "/usr/bin/env", "\(Self.childKey)=\(area)", "HOME=\(area)",
            "/bin/sh", "-c", "exec \"$0\" \"$@\" > \(area)/out/log 2>&1",
            area + "/bin/tests", "--testing-library", "swift-testing", "--filter", "EngineTests.LocalEngineRootlessNetworkTests/child",
        ])
        let log = (try? String(contentsOfFile: area + "/out/log", encoding: .utf8)) ?? ""
        #expect(status == 0, "\(log)")
        #expect(log.contains("Test run with 1 test"), "the child test ran: \(log)")
    }

    @Test("the unprivileged half of the rootless network test (runs only inside it)",
          .enabled(if: ProcessInfo.processInfo.environment[childKey] != nil && getuid() != 0,
                   "runs only as berth-test, started by the rootless network test"))
    func child() async throws {
        let area = ProcessInfo.processInfo.environment[Self.childKey] ?? ""
        let locations = EngineLocations(data: area + "/data", runtime: area + "/run")
        let engine = try LocalEngine(locations: locations, initPath: area + "/bin/berth-init")
        let imageID = try await engine.ensureImage(EngineFixture.busybox, policy: .missing)
        let labels = [ResourceLabels.project: "demo", ResourceLabels.network: "default"]
        try await engine.createNetwork(NetworkSpec(name: "demo_default", labels: labels))

        func spec(_ service: String, _ script: String) -> ContainerSpec {
            var spec = ContainerSpec(name: "demo-\(service)-1", image: EngineFixture.busybox, imageID: imageID)
            spec.labels = [ResourceLabels.project: "demo", ResourceLabels.service: service, ResourceLabels.containerNumber: "1"]
            spec.command = ["sh", "-c", script]
            spec.mounts = [.init(kind: .bind, source: area + "/host", target: "/out")]
            spec.networks = [.init(network: "demo_default", aliases: [service])]
            return spec
        }
        let server = try await engine.createContainer(spec("web", "mkdir -p /www && echo served > /www/index.html && exec busybox httpd -f -p 8080 -h /www"))
        try await engine.startContainer(id: server)
        let address = try #require(try await engine.observe(project: "demo").containers.first { $0.id == server }?.networks.first?.ipv4Address)
        let client = try await engine.createContainer(spec("client", "busybox ip -o -4 addr > /out/addrs; for i in $(busybox seq 20); do "
            + "busybox timeout 2 busybox wget -q -O /out/got http://\(address):8080/ && exit 0; busybox sleep 0.1; done; exit 1"))
        try await engine.startContainer(id: client)
        var exited: ObservedContainer?
        for _ in 0..<200 {
            exited = try await engine.observe(project: "demo").containers.first { $0.id == client && $0.state == .exited }
            if exited != nil { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let addrs = (try? String(contentsOfFile: area + "/host/addrs", encoding: .utf8)) ?? ""
        #expect(exited?.exitCode == 0, "client: \(addrs)")
        #expect((try? String(contentsOfFile: area + "/host/got", encoding: .utf8)) == "served\n")
        #expect(addrs.contains("eth0"))

        let holderPID = try #require(Int32((try String(contentsOfFile: locations.runtime + "/netns/netns.pid", encoding: .utf8))
            .trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(Processes.exists(holderPID))
        for id in [client, server] { try await engine.removeContainer(id: id, force: true, removeAnonymousVolumes: true) }
        try await engine.removeNetwork(name: "demo_default")
        for _ in 0..<100 where Processes.exists(holderPID) && Processes.state(holderPID) != "Z" { try await Task.sleep(for: .milliseconds(20)) }
        #expect(!Processes.exists(holderPID) || Processes.state(holderPID) == "Z", "the namespace holder ended with the last network")
    }
}
