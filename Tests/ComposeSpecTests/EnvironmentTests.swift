import ComposeSpec
import Foundation
import Testing

/// Tests of the project environment: shell, .env and --env-file.
@Suite struct EnvironmentTests {
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
}
