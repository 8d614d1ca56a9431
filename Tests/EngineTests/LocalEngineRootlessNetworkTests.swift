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
    static let outsideKey = "BERTH_ENGINE_ROOTLESS_OUTSIDE_URL"
    static let outboundKey = "BERTH_ENGINE_ROOTLESS_OUTBOUND"

    /// The host's first non-loopback IPv4 address: "outside" for a rootless container.
    static func hostAddress() -> String? {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return nil }
        defer { freeifaddrs(list) }
        var entry = list
        while let current = entry {
            defer { entry = current.pointee.ifa_next }
            guard let address = current.pointee.ifa_addr, address.pointee.sa_family == sa_family_t(AF_INET),
                  current.pointee.ifa_flags & UInt32(IFF_LOOPBACK) == 0 else { continue }
            let ipv4 = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr.s_addr }
            let value = UInt32(bigEndian: ipv4)
            let text = [24, 16, 8, 0].map { String((value >> UInt32($0)) & 0xff) }.joined(separator: ".")
            if !text.hasPrefix("10.89.") { return text }
        }
        return nil
    }

    static var hasOutbound: Bool {
        ["/usr/bin/slirp4netns", "/usr/sbin/nft", "/usr/bin/nsenter"].allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }
    }

    @Test("as an unprivileged user: two containers on a network reach each other by IP, and the host through slirp4netns; removing the network ends the namespace",
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
        // A server on the host, outside the user's namespace: reached only through slirp4netns.
        try FileManager.default.createDirectory(atPath: area + "/www", withIntermediateDirectories: true)
        try "outside\n".write(toFile: area + "/www/index.html", atomically: true, encoding: .utf8)
        let port = Int.random(in: 20000...40000)
        let host = try #require(Self.hostAddress())
        let null = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { close(null) }
        let server = try Spawn.spawn("/bin/busybox", arguments: ["busybox", "httpd", "-f", "-p", "\(host):\(port)", "-h", area + "/www"],
                                     options: .init(descriptors: [0: null, 1: null, 2: null], environment: []), stage: "test")
        defer {
            kill(server, SIGTERM)
            _ = try? Processes.wait(server, stage: "test")
        }
        let status = try EngineFixture.run([
            "/usr/sbin/runuser", "-u", LocalEngineRootlessTests.user, "--", "/usr/bin/env", "\(Self.childKey)=\(area)", "HOME=\(area)",
            "\(Self.outsideKey)=http://\(host):\(port)/", "\(Self.outboundKey)=\(Self.hasOutbound ? "yes" : "no")",
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
        do { try await scenario(engine, area: area, locations: locations) } catch {
            // A failed expectation must not leave the holder, slirp4netns or a container behind.
            for container in (try? await engine.observe(project: "demo").containers) ?? [] {
                try? await engine.removeContainer(id: container.id, force: true, removeAnonymousVolumes: true)
            }
            try? await engine.removeNetwork(name: "demo_default")
            throw error
        }
    }

    func scenario(_ engine: LocalEngine, area: String, locations: EngineLocations) async throws {
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

        // network_mode service:web: the other container's namespace, owned by the holder's user
        // namespace, joined from a user namespace of its own.
        var sidecar = spec("sidecar", "for i in $(busybox seq 20); do busybox timeout 2 busybox wget -q -O /out/local http://127.0.0.1:8080/ "
            + "&& exit 0; busybox sleep 0.1; done; exit 1")
        sidecar.networks = []
        sidecar.namespaces.network = .container(server)
        let sidecarID = try await engine.createContainer(sidecar)
        try await engine.startContainer(id: sidecarID)
        for _ in 0..<200 where !FileManager.default.fileExists(atPath: area + "/host/local") { try await Task.sleep(for: .milliseconds(50)) }
        try await Task.sleep(for: .milliseconds(50))
        #expect((try? String(contentsOfFile: area + "/host/local", encoding: .utf8)) == "served\n")
        try await engine.removeContainer(id: sidecarID, force: true, removeAnonymousVolumes: true)

        // Outside: through slirp4netns when installed, else no route at all.
        let outside = ProcessInfo.processInfo.environment[Self.outsideKey] ?? ""
        let wanderer = try await engine.createContainer(spec("wanderer", "busybox ip route > /out/routes; for i in $(busybox seq 20); do "
            + "busybox timeout 2 busybox wget -q -O /out/outside \(outside) && exit 0; busybox sleep 0.1; done; echo failed > /out/outside"))
        try await engine.startContainer(id: wanderer)
        for _ in 0..<300 where !FileManager.default.fileExists(atPath: area + "/host/outside") { try await Task.sleep(for: .milliseconds(50)) }
        try await Task.sleep(for: .milliseconds(50))
        let routes = (try? String(contentsOfFile: area + "/host/routes", encoding: .utf8)) ?? ""
        if ProcessInfo.processInfo.environment[Self.outboundKey] == "yes" {
            #expect((try? String(contentsOfFile: area + "/host/outside", encoding: .utf8)) == "outside\n", "routes: \(routes)")
            #expect(routes.contains("default"))
        } else {
            #expect((try? String(contentsOfFile: area + "/host/outside", encoding: .utf8)) == "failed\n")
            #expect(!routes.contains("default"), "no way out, so no default route: \(routes)")
        }
        try await engine.removeContainer(id: wanderer, force: true, removeAnonymousVolumes: true)

        let holderPID = try #require(Int32((try String(contentsOfFile: locations.runtime + "/netns/netns.pid", encoding: .utf8))
            .trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(Processes.exists(holderPID))
        for id in [client, server] { try await engine.removeContainer(id: id, force: true, removeAnonymousVolumes: true) }
        try await engine.removeNetwork(name: "demo_default")
        for _ in 0..<100 where Processes.exists(holderPID) && Processes.state(holderPID) != "Z" { try await Task.sleep(for: .milliseconds(20)) }
        #expect(!Processes.exists(holderPID) || Processes.state(holderPID) == "Z", "the namespace holder ended with the last network")
    }
}
