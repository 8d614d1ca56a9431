import ComposeSpec
import Foundation
import Testing

/// Tests of merging several files.
@Suite struct MergeTests {
    @Test("the override file is merged and a third file can reset and override")
    func multiFile() throws {
        var options = ComposeLoader.Options(environment: [:], workingDirectory: repositoryRoot + "/Examples/multi-file")
        let development = try ComposeLoader(options: options).load().project
        let app = try #require(development.services["app"])
        #expect(development.composeFiles.count == 2)
        #expect(app.environment?["DEV_TOOLS"] == "1")
        #expect(app.environment?["MODE"] == "development")
        #expect(app.volumes?.count == 1)

        options.files = ["compose.yaml", "compose.prod.yaml"]
        let production = try ComposeLoader(options: options).load().project
        let prodApp = try #require(production.services["app"])
        #expect(prodApp.environment?["MODE"] == "production")
        #expect(prodApp.environment?.keys.contains("LOG_LEVEL") == false)
        #expect(prodApp.ports?.map(\.published) == ["80"])
        #expect(prodApp.restart == "always")
        #expect(production.services["worker"]?.replicas == 3)
    }

    @Test("sequences merge by their key: ports appended, volumes by target, command replaced")
    func mergeRules() throws {
        let fixture = try TestProject([
            "a.yaml": """
            services:
              s:
                image: x
                command: [a, b]
                ports: ["80:80"]
                volumes: ["./one:/data", "./keep:/keep"]
                environment: [A=1, B=2]
                dns: 1.1.1.1
            """,
            "b.yaml": """
            services:
              s:
                command: c
                ports: ["81:81"]
                volumes: ["./two:/data"]
                environment: {B: "3", C: "4"}
                dns: [8.8.8.8]
            """,
        ])
        let service = try #require(try fixture.load(["a.yaml", "b.yaml"]).project.services["s"])
        #expect(service.command == ["c"])
        #expect(service.ports?.map(\.target) == [80, 81])
        #expect(service.volumes?.map(\.target) == ["/data", "/keep"])
        #expect(service.volumes?.first?.source == fixture.directory + "/two")
        #expect(service.environment == ["A": "1", "B": "3", "C": "4"])
        #expect(service.dns == ["1.1.1.1", "8.8.8.8"])
    }
}
