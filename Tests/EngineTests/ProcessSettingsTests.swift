import Engine
import EngineAPI
import OCISpec
import Testing

/// docker's merge of the image's entrypoint, cmd, env, working dir and user with the service's.
@Suite("ProcessSettings")
struct ProcessSettingsTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var image: ContainerConfig?
        var entrypoint: [String]?
        var command: [String]?
        var environment: [String: String] = [:]
        var workingDir: String?
        var user: String?
        var args: [String]
        var env: [String]
        var cwd: String
        var expectedUser: String?
        var testDescription: String { name }
    }

    static let image = ContainerConfig(user: "www", env: ["PATH=/bin", "MODE=image"], entrypoint: ["/entry"],
                                       cmd: ["serve", "--port", "80"], workingDir: "/srv")

    static let cases: [Case] = [
        Case(name: "the image's entrypoint, cmd, env, working dir and user when the service sets none",
             image: image, args: ["/entry", "serve", "--port", "80"], env: ["PATH=/bin", "MODE=image"], cwd: "/srv", expectedUser: "www"),
        Case(name: "a command replaces only the image's cmd",
             image: image, command: ["debug"], args: ["/entry", "debug"], env: ["PATH=/bin", "MODE=image"], cwd: "/srv", expectedUser: "www"),
        Case(name: "an entrypoint drops the image's cmd",
             image: image, entrypoint: ["/bin/sh", "-c"], args: ["/bin/sh", "-c"], env: ["PATH=/bin", "MODE=image"], cwd: "/srv", expectedUser: "www"),
        Case(name: "an entrypoint and a command replace both",
             image: image, entrypoint: ["/bin/sh", "-c"], command: ["echo hi"], args: ["/bin/sh", "-c", "echo hi"],
             env: ["PATH=/bin", "MODE=image"], cwd: "/srv", expectedUser: "www"),
        Case(name: "an empty entrypoint leaves the command alone",
             image: image, entrypoint: [], command: ["/bin/true"], args: ["/bin/true"], env: ["PATH=/bin", "MODE=image"], cwd: "/srv", expectedUser: "www"),
        Case(name: "service variables override the image's in place and new ones follow in name order",
             image: image, environment: ["MODE": "service", "B": "2", "A": "1"], args: ["/entry", "serve", "--port", "80"],
             env: ["PATH=/bin", "MODE=service", "A=1", "B=2"], cwd: "/srv", expectedUser: "www"),
        Case(name: "the service's working dir and user win",
             image: image, workingDir: "/app", user: "1000:1000", args: ["/entry", "serve", "--port", "80"],
             env: ["PATH=/bin", "MODE=image"], cwd: "/app", expectedUser: "1000:1000"),
        Case(name: "an image without a config runs the command in / as root",
             image: nil, command: ["/bin/sh"], args: ["/bin/sh"], env: [], cwd: "/", expectedUser: nil),
    ]

    @Test("merges as docker does", arguments: cases)
    func merges(_ test: Case) throws {
        var spec = ContainerSpec(name: "demo-web-1", image: "web", imageID: "sha256:0")
        spec.entrypoint = test.entrypoint
        spec.command = test.command
        spec.environment = test.environment
        spec.workingDir = test.workingDir
        spec.user = test.user
        let settings = try ProcessSettings(image: test.image, spec: spec)
        #expect(settings.args == test.args)
        #expect(settings.env == test.env)
        #expect(settings.workingDir == test.cwd)
        #expect(settings.user == test.expectedUser)
    }

    @Test("a container with no command anywhere is refused with what to add")
    func noCommand() {
        let spec = ContainerSpec(name: "demo-web-1", image: "scratchy", imageID: "sha256:0")
        #expect {
            try ProcessSettings(image: ContainerConfig(env: ["PATH=/bin"]), spec: spec)
        } throws: { error in
            guard let error = error as? EngineError else { return false }
            return error.code == .invalidState && error.message.contains("command:")
        }
    }
}
