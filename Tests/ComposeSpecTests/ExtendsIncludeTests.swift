import ComposeSpec
import Foundation
import Testing

@Suite struct ExtendsTests {
    @Test("extends in the same file merges the base under the service")
    func sameFile() throws {
        let fixture = try TestProject(["compose.yaml": """
            services:
              base:
                image: x
                environment: {A: "1", B: "1"}
                ports: ["80"]
              web:
                extends: base
                environment: {B: "2"}
              worker:
                extends: {service: web}
                command: work
            """])
        let project = try fixture.load().project
        #expect(project.services["web"]?.image == "x")
        #expect(project.services["web"]?.environment == ["A": "1", "B": "2"])
        #expect(project.services["worker"]?.environment == ["A": "1", "B": "2"])
        #expect(project.services["worker"]?.ports?.count == 1)
        #expect(project.services["worker"]?.command == ["work"])
    }

    @Test("extends from another file resolves that file's paths against its directory")
    func otherFile() throws {
        let fixture = try TestProject([
            "compose.yaml": "services:\n  web:\n    extends:\n      file: common/base.yaml\n      service: app\n",
            "common/base.yaml": "services:\n  app:\n    image: x\n    volumes: [\"./data:/data\"]\n    env_file: app.env\n",
            "common/app.env": "FROM_FILE=yes\n",
        ])
        let web = try #require(try fixture.load().project.services["web"])
        #expect(web.volumes?.first?.source == fixture.directory + "/common/data")
        #expect(web.environment?["FROM_FILE"] == "yes")
    }

    @Test("an extends cycle is an error that shows the chain")
    func cycle() throws {
        let fixture = try TestProject(["compose.yaml": """
            services:
              a: {image: x, extends: b}
              b: {image: x, extends: a}
            """])
        let error = try #require(fixture.error())
        #expect(error.code == .cycle)
        #expect(error.message.contains("a → b → a") || error.message.contains("b → a → b"))
        #expect(error.location.line == 2 || error.location.line == 3)
    }

    @Test("extending a service that does not exist names it")
    func missing() throws {
        let fixture = try TestProject(["compose.yaml": "services:\n  a:\n    image: x\n    extends: nope\n"])
        let error = try #require(fixture.error())
        #expect(error.code == .undefinedReference)
        #expect(error.description.contains("compose.yaml:4:14: services.a.extends"))
    }
}

@Suite struct IncludeTests {
    @Test("include adds another project's services, with its own directory and .env")
    func include() throws {
        let fixture = try TestProject([
            "compose.yaml": "include:\n  - sub/compose.yaml\nservices:\n  web:\n    image: x\n    depends_on: [db]\n",
            "sub/compose.yaml": "services:\n  db:\n    image: \"db:${DB_TAG}\"\n    volumes: [\"./init:/init\"]\n",
            "sub/.env": "DB_TAG=15\n",
        ])
        let project = try fixture.load().project
        #expect(project.serviceNames == ["db", "web"])
        #expect(project.services["db"]?.image == "db:15")
        #expect(project.services["db"]?.volumes?.first?.source == fixture.directory + "/sub/init")
    }

    @Test("long-form include with project_directory and env_file")
    func longForm() throws {
        let fixture = try TestProject([
            "compose.yaml": """
            include:
              - path: [lib/a.yaml, lib/b.yaml]
                project_directory: lib
                env_file: lib/custom.env
            """,
            "lib/a.yaml": "services:\n  a:\n    image: \"${IMG}\"\n",
            "lib/b.yaml": "services:\n  a:\n    environment: [X=1]\n",
            "lib/custom.env": "IMG=from-custom\n",
        ])
        let a = try #require(try fixture.load().project.services["a"])
        #expect(a.image == "from-custom")
        #expect(a.environment?["X"] == "1")
    }

    @Test("a service defined both here and in an include is a conflict")
    func conflict() throws {
        let fixture = try TestProject([
            "compose.yaml": "include: [other.yaml]\nservices:\n  a:\n    image: x\n",
            "other.yaml": "services:\n  a:\n    image: y\n",
        ])
        let error = try #require(fixture.error())
        #expect(error.code == .conflict)
        #expect(error.path == "services.a")
    }

    @Test("an include cycle is an error")
    func cycle() throws {
        let fixture = try TestProject([
            "compose.yaml": "include: [b.yaml]\nservices:\n  a:\n    image: x\n",
            "b.yaml": "include: [compose.yaml]\nservices:\n  b:\n    image: x\n",
        ])
        #expect(fixture.error()?.code == .cycle)
    }
}
