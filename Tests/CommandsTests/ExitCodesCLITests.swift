import Foundation
import Testing
@testable import Commands

/// Exit codes as docker compose's, for what needs no running container: an unknown service is
/// exit 1 with `no such service: NAME` from every command that takes services, and commands with
/// nothing to act on succeed.
@Suite("exit codes as docker compose's")
struct ExitCodesCLITests {
    static func project() throws -> (directory: String, environment: [String: String]) {
        let directory = try temporaryDirectory(["compose.yaml": Data("name: exits\nservices:\n  web:\n    image: busybox\n".utf8)])
        return (directory, ["BERTH_DATA_DIR": directory + "/data", "BERTH_RUNTIME_DIR": directory + "/run"])
    }

    @Test("an unknown service exits 1 naming it", arguments: [
        ["up", "-d", "nope"], ["create", "nope"], ["start", "nope"], ["stop", "nope"], ["restart", "nope"],
        ["kill", "nope"], ["rm", "-f", "nope"], ["pause", "nope"], ["unpause", "nope"], ["logs", "nope"],
        ["ps", "nope"], ["top", "nope"], ["port", "nope", "80"], ["exec", "nope", "true"], ["run", "nope", "true"],
        ["cp", "nope:/a", "/tmp/x"], ["wait", "nope"], ["events", "nope"], ["pull", "nope"],
    ])
    func unknownService(arguments: [String]) throws {
        let (directory, environment) = try Self.project()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try BerthBinary.run(arguments, in: directory, environment: environment)
        #expect(result.status == 1, "\(arguments): \(result.stderr)")
        #expect(result.stderr.contains("no such service: nope"), "\(arguments): \(result.stderr)")
    }

    @Test("commands with nothing to act on exit 0", arguments: [
        ["stop"], ["down"], ["kill"], ["pause"], ["unpause"], ["restart"], ["rm", "-f"], ["ps"], ["logs"], ["top"],
    ])
    func nothingToDo(arguments: [String]) throws {
        let (directory, environment) = try Self.project()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try BerthBinary.run(arguments, in: directory, environment: environment)
        #expect(result.status == 0, "\(arguments): \(result.stderr)")
    }

    @Test("inspect of an unknown service or container exits 1 naming it; a malformed --format is refused before anything runs")
    func inspectArguments() throws {
        let (directory, environment) = try Self.project()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let unknown = try BerthBinary.run(["inspect", "nope"], in: directory, environment: environment)
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("no such service or container: nope"), "\(unknown.stderr)")
        let malformed = try BerthBinary.run(["inspect", "--format", "{{.State", "web"], in: directory, environment: environment)
        #expect(malformed.status != 0)
        #expect(malformed.stderr.contains("unclosed action"), "\(malformed.stderr)")
        let unsupported = try BerthBinary.run(["inspect", "--format", "{{range .Mounts}}x{{end}}", "web"], in: directory, environment: environment)
        #expect(unsupported.status != 0)
        #expect(unsupported.stderr.contains("only {{.Field.Path}} and {{json .Field.Path}} are supported"), "\(unsupported.stderr)")
    }
}
