import ComposeSpec
import Foundation
import Testing

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

    @Test("shell variables win over the project's .env")
    func shellOverridesDotEnv() throws {
        let fixture = try TestProject([
            "compose.yaml": "services:\n  a:\n    image: \"img:${TAG}\"\n",
            ".env": "TAG=fromfile\n",
        ])
        #expect(try fixture.load().project.services["a"]?.image == "img:fromfile")
        #expect(try fixture.load(environment: ["TAG": "fromshell"]).project.services["a"]?.image == "img:fromshell")
    }

    @Test("--env-file replaces .env and later files win")
    func envFiles() throws {
        let fixture = try TestProject([
            "compose.yaml": "services:\n  a:\n    image: \"${A}-${B}\"\n",
            ".env": "A=dot\nB=dot\n",
            "one.env": "A=one\nB=one\n",
            "two.env": "B=two\n",
        ])
        let project = try fixture.load { $0.envFiles = ["one.env", "two.env"] }.project
        #expect(project.services["a"]?.image == "one-two")
    }

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

    @Test("profiles: inactive services are left out, --profile and named services enable them")
    func profiles() throws {
        var options = ComposeLoader.Options(environment: [:], workingDirectory: repositoryRoot + "/Examples/profiles")
        #expect(try ComposeLoader(options: options).load().project.serviceNames == ["app"])
        options.profiles = ["debug"]
        #expect(try ComposeLoader(options: options).load().project.serviceNames == ["app", "debug"])
        options.profiles = []
        options.services = ["migrate"]
        #expect(try ComposeLoader(options: options).load().project.serviceNames == ["app", "migrate"])
        options.services = []
        options.environment["COMPOSE_PROFILES"] = "tools, debug"
        let project = try ComposeLoader(options: options).load().project
        #expect(project.serviceNames == ["app", "debug", "migrate"])
        #expect(project.allProfiles == ["debug", "ops", "tools"])
    }

    @Test("project name: -p, then COMPOSE_PROJECT_NAME, then name:, then the directory")
    func projectName() throws {
        let fixture = try TestProject(["My Project!/compose.yaml": "services:\n  a:\n    image: x\n"])
        var options = ComposeLoader.Options(environment: [:], workingDirectory: fixture.directory + "/My Project!")
        #expect(try ComposeLoader(options: options).load().project.name == "myproject")
        options.environment["COMPOSE_PROJECT_NAME"] = "fromenv"
        #expect(try ComposeLoader(options: options).load().project.name == "fromenv")
        options.projectName = "fromflag"
        #expect(try ComposeLoader(options: options).load().project.name == "fromflag")
        options.projectName = "Bad Name"
        #expect(throws: ComposeError.self) { try ComposeLoader(options: options).load() }
    }

    @Test("discovery walks up from a subdirectory and takes the override file")
    func discovery() throws {
        let fixture = try TestProject([
            "compose.yml": "services:\n  a:\n    image: x\n",
            "compose.override.yml": "services:\n  a:\n    image: y\n",
            "deep/er/.keep": "",
        ])
        let options = fixture.options(in: "deep/er")
        let project = try ComposeLoader(options: options).load().project
        #expect(project.services["a"]?.image == "y")
        #expect(project.workingDirectory == fixture.directory)
    }

    @Test("COMPOSE_FILE lists files with the path separator")
    func composeFileVariable() throws {
        let fixture = try TestProject([
            "a.yaml": "services:\n  a:\n    image: x\n",
            "b.yaml": "services:\n  b:\n    image: y\n",
        ])
        let project = try fixture.load(environment: ["COMPOSE_FILE": "a.yaml:b.yaml"]).project
        #expect(project.serviceNames == ["a", "b"])
        let custom = try fixture.load(environment: ["COMPOSE_FILE": "a.yaml;b.yaml", "COMPOSE_PATH_SEPARATOR": ";"]).project
        #expect(custom.serviceNames == ["a", "b"])
    }

    @Test("the dependency graph orders services and names a cycle")
    func dependencyGraph() throws {
        let fixture = try TestProject(["compose.yaml": """
            services:
              web: {image: x, depends_on: [api], links: [cache]}
              api: {image: x, depends_on: {db: {condition: service_healthy}}}
              db: {image: x}
              cache: {image: x}
              sidecar: {image: x, network_mode: "service:web", volumes_from: [db]}
            """])
        let graph = try DependencyGraph(project: fixture.load().project)
        #expect(graph.startOrder == ["cache", "db", "api", "web", "sidecar"])
        #expect(graph.stopOrder.first == "sidecar")
        #expect(graph.dependents(of: "db") == ["api", "sidecar"])
        #expect(graph.closure(of: ["web"]) == ["web", "api", "db", "cache"])
    }
}
