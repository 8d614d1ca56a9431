import ComposeSpec
import EngineAPI
import Testing
@testable import Reconciler

/// The config hash of a service that mounts secrets or configs covers their content.
@Suite("secret and config content in the config hash")
struct FileObjectContentTests {
    static let yaml = """
        services:
          web:
            image: busybox
            secrets: [token]
            configs: [site]
          db:
            image: busybox
        secrets: {token: {file: ./token.txt}}
        configs: {site: {content: "listen 80"}}
        """

    static func desired(token: String, environment: [String: String] = [:], yaml: String = yaml) throws -> DesiredState {
        try DesiredState(project: try Fixture.load(yaml, environment: environment), imageIDs: [:]) { path in
            path == "/srv/demo/token.txt" ? Array(token.utf8) : nil
        }
    }

    @Test("a changed file, environment value or content changes the hash of the services that mount it, and no other")
    func hashFollowsContent() throws {
        let first = try Self.desired(token: "a")
        let rotated = try Self.desired(token: "b")
        #expect(first.services["web"]?.configHash != rotated.services["web"]?.configHash)
        #expect(first.services["db"]?.configHash == rotated.services["db"]?.configHash)
        #expect(try first.services["db"]?.configHash == ConfigHash.hash(of: #require(first.project.services["db"])),
                "a service without secrets keeps compose's hash")
        #expect(try Self.desired(token: "a").services["web"]?.configHash == first.services["web"]?.configHash, "stable")
        let content = try Self.desired(token: "a", yaml: Self.yaml.replacingOccurrences(of: "listen 80", with: "listen 81"))
        #expect(content.services["web"]?.configHash != first.services["web"]?.configHash)
        let fromEnvironment = Self.yaml.replacingOccurrences(of: "{file: ./token.txt}", with: "{environment: TOKEN}")
        let one = try Self.desired(token: "", environment: ["TOKEN": "1"], yaml: fromEnvironment)
        let two = try Self.desired(token: "", environment: ["TOKEN": "2"], yaml: fromEnvironment)
        #expect(one.services["web"]?.configHash != two.services["web"]?.configHash)
    }

    @Test("the plan names the changed content: recreate web, secrets content changed")
    func reason() throws {
        let old = try Self.desired(token: "a")
        let web = try #require(old.services["web"])
        let container = ObservedContainer(id: "w1", name: "demo-web-1", labels: [
            ResourceLabels.project: "demo", ResourceLabels.service: "web", ResourceLabels.containerNumber: "1",
            ResourceLabels.configHash: web.configHash,
        ], imageID: "", state: .running, recordedConfig: try web.recordedConfig())
        let new = try #require(try Self.desired(token: "b").services["web"])
        #expect(Planner.recreateReason(container, new, policy: .diverged, propagated: nil) == "secrets content changed")
    }

    @Test("an external secret is refused when the container is specified, naming the secret")
    func external() throws {
        let project = try Fixture.load("""
            services:
              web: {image: busybox, secrets: [token]}
            secrets: {token: {external: true}}
            """)
        let desired = try DesiredState(project: project)
        let web = try #require(desired.services["web"])
        #expect(performing: {
            _ = try ContainerSpecBuilder.spec(for: web, number: 1, desired: desired, imageID: Fixture.busybox, containerIDs: [:])
        }, throws: { error in
            (error as? ReconcilerError)?.description.contains("secret token") == true
                && (error as? ReconcilerError)?.description.contains("swarm") == true
        })
    }
}
