import ComposeSpec
import EngineAPI
import Testing
@testable import Reconciler

/// What `ContainerSpecBuilder` makes of a compose service.
@Suite struct ContainerSpecTests {
    static func spec(_ service: Service, number: Int = 1, edit: (inout Project) -> Void = { _ in },
                     ids: [String: String] = [:]) throws -> ContainerSpec {
        let project = Fixture.project([service], edit: edit)
        let desired = try Fixture.desired(project)
        let entry = try #require(desired.services[service.name])
        return try ContainerSpecBuilder.spec(for: entry, number: number, desired: desired, imageID: Fixture.busybox, containerIDs: ids)
    }

    @Test("name and compose labels follow docker compose")
    func labels() throws {
        let spec = try Self.spec(Fixture.service("web") {
            $0.labels = ["team": "a"]
            $0.dependsOn = ["db": ServiceDependency(condition: .serviceHealthy, restart: true)]
        }, number: 2)
        #expect(spec.name == "demo-web-2")
        #expect(spec.labels == [
            "team": "a",
            ResourceLabels.project: "demo", ResourceLabels.service: "web", ResourceLabels.containerNumber: "2",
            ResourceLabels.configHash: try ConfigHash.hash(of: Fixture.service("web") {
                $0.labels = ["team": "a"]
                $0.dependsOn = ["db": ServiceDependency(condition: .serviceHealthy, restart: true)]
            }),
            ResourceLabels.oneoff: "False", ResourceLabels.workingDir: "/srv/demo",
            ResourceLabels.configFiles: "/srv/demo/compose.yaml", ResourceLabels.image: Fixture.busybox,
            ResourceLabels.dependsOn: "db:service_healthy:true", ResourceLabels.version: ResourceLabels.compatibleComposeVersion,
        ])
    }

    @Test("container_name replaces the generated name")
    func containerName() throws {
        #expect(try Self.spec(Fixture.service("web") { $0.containerName = "front" }).name == "front")
    }

    @Test("a bare environment entry takes the value compose saw, or is left out")
    func environment() throws {
        let spec = try Self.spec(Fixture.service("web") { $0.environment = ["A": "1", "HOME_DIR": nil, "UNSET": nil] }) {
            $0.environment = ["HOME_DIR": "/home/u"]
        }
        #expect(spec.environment == ["A": "1", "HOME_DIR": "/home/u"])
    }

    @Test("volumes, tmpfs, secrets and configs become mounts")
    func mounts() throws {
        let project = try Fixture.load("""
            services:
              web:
                image: busybox
                volumes: [data:/data, /cache, ./site:/site:ro]
                tmpfs: [/run]
                secrets: [token]
                configs: [{source: nginx, target: /etc/nginx.conf}]
            volumes: {data: {}}
            secrets: {token: {environment: TOKEN}}
            configs: {nginx: {file: ./nginx.conf}}
            """, environment: ["TOKEN": "s3cret"])
        let desired = try Fixture.desired(project)
        let web = try #require(desired.services["web"])
        let spec = try ContainerSpecBuilder.spec(for: web, number: 1, desired: desired, imageID: Fixture.busybox, containerIDs: [:])
        #expect(spec.mounts.map { "\($0.kind.rawValue) \($0.source ?? "-") \($0.target) \($0.readOnly ? "ro" : "rw")" } == [
            "volume demo_data /data rw", "anonymousVolume - /cache rw", "bind /srv/demo/site /site ro",
            "tmpfs - /run rw", "file - /run/secrets/token ro", "file /srv/demo/nginx.conf /etc/nginx.conf ro",
        ])
        #expect(spec.mounts.first { $0.target == "/site" }?.createHostPath == true)
        #expect(spec.mounts.first { $0.target == "/run/secrets/token" }?.content == "s3cret")
        #expect(spec.environment["TOKEN"] == nil)
    }

    @Test("network_mode service:x needs x's container id; networks get the service name as alias")
    func namespaces() throws {
        let shared = try Self.spec(Fixture.service("app") { $0.networkMode = "service:vpn" }, ids: ["vpn": "c42"])
        #expect(shared.namespaces.network == .container("c42"))
        #expect(shared.networks.isEmpty)
        #expect(throws: ReconcilerError.self) { try Self.spec(Fixture.service("app") { $0.networkMode = "service:vpn" }) }
        let attached = try Self.spec(Fixture.service("web"))
        #expect(attached.networks == [ContainerSpec.NetworkAttachment(network: "demo_default", aliases: ["web"])])
    }

    @Test("stop signal, grace period and restart policy default as docker's")
    func defaults() throws {
        let spec = try Self.spec(Fixture.service("web"))
        #expect(spec.stopSignal == "SIGTERM")
        #expect(spec.stopGracePeriod == 10)
        #expect(spec.restartPolicy == "no")
        #expect(spec.command == ["sleep", "infinity"])
        #expect(spec.entrypoint == nil)
    }
}
