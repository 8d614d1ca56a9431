import ComposeSpec
import Foundation
import Testing

/// Tests of which files make the project, and its name.
@Suite struct FileDiscoveryTests {
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
        // An empty list is no list: discovery applies (and finds nothing here), no crash.
        #expect(fixture.error(environment: ["COMPOSE_FILE": ":"])?.code == .notFound)
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
}
