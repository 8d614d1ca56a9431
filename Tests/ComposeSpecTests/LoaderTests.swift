import ComposeSpec
import Foundation
import Testing

/// Tests of the loader end to end on the bundled examples.
@Suite struct LoaderTests {
    @Test("the webapp example loads with .env interpolation, merge keys and normalization")
    func webappExample() throws {
        var options = ComposeLoader.Options(environment: ["HOME": "/home/u"], workingDirectory: repositoryRoot)
        options.files = ["Examples/webapp/compose.yaml"]
        let project = try ComposeLoader(options: options).load().project
        #expect(project.name == "webapp")
        #expect(project.serviceNames == ["api", "cache", "db", "web"])
        let api = try #require(project.services["api"])
        #expect(api.environment?["DATABASE_URL"] == "postgres://app:example-only-password@db:5432/app")
        #expect(api.image == "busybox:latest")
        #expect(api.restart == "unless-stopped")
        #expect(api.command?.first == "sh")
        #expect(api.dependsOn?["db"]?.condition == .serviceHealthy)
        let web = try #require(project.services["web"])
        #expect(web.ports?.first?.published == "8080")
        #expect(web.ports?.first?.hostIP == "127.0.0.1")
        #expect(web.volumes?.first?.source == repositoryRoot + "/Examples/webapp/web")
        #expect(web.volumes?.first?.readOnly == true)
        #expect(web.networks?.keys.contains("default") == true)
        #expect(project.networks["default"]?.name == "webapp_default")
        #expect(project.volumes["db-data"]?.name == "webapp_db-data")
        #expect(project.services["cache"]?.memLimit?.bytes == 64 << 20)
    }

    @Test("watch paths are made absolute and pre_start hooks inherit the service's image")
    func developAndHooks() throws {
        let fixture = try TestProject(["compose.yaml": """
            services:
              app:
                image: "app:1"
                develop:
                  watch:
                    - path: ./src
                      action: sync
                      target: /app/src
                pre_start:
                  - command: ["migrate"]
                  - image: "tools:2"
                    command: ["seed"]
            """])
        let app = try #require(try fixture.load().project.services["app"])
        #expect(app.develop?.watch?.first?.path == fixture.directory + "/src")
        #expect(app.preStart?.map(\.image) == ["app:1", "tools:2"])
    }
}
