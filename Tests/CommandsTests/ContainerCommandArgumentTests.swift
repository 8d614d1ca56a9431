import Foundation
import StateStore
import Testing
@testable import Commands

/// The lifecycle commands' pieces that need no container: argument checks and what they print.
@Suite("container command arguments")
struct ContainerCommandArgumentTests {
    @Test("cp tells SERVICE:PATH from a host path", arguments: [
        ("web:/etc/passwd", "web", "/etc/passwd"),
        ("web:relative", "web", "relative"),
        ("/abs/with:colon", nil, nil),
        ("./local:file", nil, nil),
        ("plain", nil, nil),
        (":/x", nil, nil),
        ("web:", nil, nil),
    ] as [(String, String?, String?)])
    func servicePath(argument: String, service: String?, path: String?) {
        let parsed = Cp.servicePath(argument)
        #expect(parsed?.service == service)
        #expect(parsed?.path == path)
    }

    @Test("ls STATUS counts containers per state, running first", arguments: [
        ([.running: 2, .exited: 1], "running(2), exited(1)"),
        ([.exited: 3], "exited(3)"),
        ([.created: 1, .paused: 1, .running: 1], "running(1), paused(1), created(1)"),
        ([.running: 0, .exited: 1], "exited(1)"),
    ] as [([ContainerRecord.State: Int], String)])
    func lsStatus(states: [ContainerRecord.State: Int], expected: String) {
        #expect(Ls.status(states) == expected)
    }

    @Test("ls shows projects with something running unless -a, and filters by name")
    func lsRows() {
        let projects = [ProjectSummary(name: "alpha", states: [.running: 1], workingDirectory: nil, configFiles: "/a/compose.yaml"),
                        ProjectSummary(name: "beta", states: [.exited: 2], workingDirectory: nil, configFiles: nil)]
        #expect(Ls.rows(projects, all: false, names: []).map(\.Name) == ["alpha"])
        #expect(Ls.rows(projects, all: true, names: []).map(\.Name) == ["alpha", "beta"])
        #expect(Ls.rows(projects, all: true, names: ["et"]).map(\.Name) == ["beta"])
        #expect(Ls.rows(projects, all: true, names: []).first?.ConfigFiles == "/a/compose.yaml")
    }

    @Test("exec -e NAME takes this process's value and drops an unset one")
    func execEnvironment() {
        #expect(Exec.environment(["A=1", "HOME", "UNSET_X"], host: ["HOME": "/root"]) == ["A=1", "HOME=/root"])
    }

    @Test("top's TIME column is [DD-]HH:MM:SS of CPU time", arguments: [
        (0, "00:00:00"), (61, "00:01:01"), (3600 * 25 + 5, "1-01:00:05"),
    ])
    func topTime(seconds: Int, expected: String) {
        #expect(ProcessRow.duration(seconds) == expected)
    }

    @Test("bad arguments exit non-zero with a message naming what to do", arguments: [
        (["exec", "web"], "exec needs a command"),
        (["cp", "-", "-"], "one of the paths must be SERVICE:PATH"),
        (["exec", "--index", "0", "web", "true"], "--index must be 1 or more"),
        (["cp", "a", "b"], "one of the paths must be SERVICE:PATH"),
        (["cp", "web:/a", "db:/b"], "copying between containers is not supported"),
        (["stop", "--timeout=-1"], "--timeout must not be negative"),
        (["ls", "--filter", "status=running"], "the only filter is name=TEXT"),
        (["ps", "--filter", "status=nope"], "--status nope: expected one of"),
        (["create", "--pull", "sometimes"], "--pull sometimes: expected always, missing or never"),
        (["wait"], "Missing expected argument"),
    ] as [([String], String)])
    func badArguments(arguments: [String], message: String) throws {
        let directory = try temporaryDirectory(["compose.yaml": Data("services:\n  web:\n    image: busybox\n".utf8)])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try BerthBinary.run(arguments, in: directory)
        #expect(result.status != 0)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    @Test("rm's -f is --force; the files are named with -f before the subcommand or --file")
    func rmForceAndFiles() throws {
        let directory = try temporaryDirectory(["other.yaml": Data("name: rmfiles\nservices:\n  web:\n    image: busybox\n".utf8)])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let environment = ["BERTH_DATA_DIR": directory + "/data", "BERTH_RUNTIME_DIR": directory + "/run"]
        for arguments in [["-f", "other.yaml", "rm", "-f"], ["rm", "--file", "other.yaml", "-f"]] {
            let result = try BerthBinary.run(arguments, in: directory, environment: environment)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            #expect(result.stderr == "No stopped containers\n", "\(arguments): \(result.stderr)")
        }
    }
}
