import Foundation
import Testing
@testable import Commands

/// The journald logging driver through the real binary. A real `systemd-journald` runs for the
/// test in a mount namespace of its own (fresh tmpfs on /run/systemd and /run/log, so it binds
/// the usual socket and writes a volatile journal nobody else sees; it needs no systemd as PID
/// 1); `up`, `logs` and `logs -f` run inside that namespace, as a user's would beside a journald.
@Suite("journald log driver", .serialized, .enabled(if: ContainerFixture.unavailableReason == nil, "\(ContainerFixture.unavailableReason ?? "")"))
struct JournaldLogsTests {
    static let journald = "/lib/systemd/systemd-journald"

    static var journaldUnavailable: String? {
        if !FileManager.default.isExecutableFile(atPath: journald) { return "\(journald) is missing (Debian's systemd package, see .ci/deps)" }
        if !FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare") { return "unshare (util-linux) is missing" }
        if !FileManager.default.isExecutableFile(atPath: "/usr/bin/journalctl") && !FileManager.default.isExecutableFile(atPath: "/bin/journalctl") {
            return "journalctl is missing (systemd package)"
        }
        return nil
    }

    static func compose(project: String) -> String {
        """
        name: \(project)
        services:
          talk:
            image: oci:\(ContainerFixture.images ?? "/nonexistent")/busybox
            command: ["sh", "-c", "echo out-line; echo err-line >&2; busybox sleep 2; echo later-line; trap 'exit 0' TERM; while true; do busybox sleep 1 & wait; done"]
            logging:
              driver: journald
              options:
                tag: talker
        """
    }

    @Test("lines go to a running journald with docker's fields and come back through logs, logs -f follows",
          .enabled(if: journaldUnavailable == nil, "\(journaldUnavailable ?? "")"))
    func throughJournal() throws {
        let project = "jrn" + UUID().uuidString.prefix(8).lowercased()
        let directory = try temporaryDirectory(["compose.yaml": Data(Self.compose(project: project).utf8)])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // Everything that needs the journal runs in the namespace; markers split its output.
        let script = """
        set -u
        exec 2>&1
        mkdir -p /run/systemd /run/log && mount -t tmpfs tmpfs /run/systemd && mkdir -p /run/systemd/journal && mount -t tmpfs tmpfs /run/log || exit 90
        \(Self.journald) >/dev/null 2>&1 &
        journald=$!
        for i in $(seq 100); do [ -S /run/systemd/journal/socket ] && break; sleep 0.1; done
        export BERTH_DATA_DIR=\(directory)/data BERTH_RUNTIME_DIR=\(directory)/run
        cd \(directory)
        "$BERTH" up -d >up.out 2>&1; echo "up-status $?"
        # Follow from the start: the container prints later-line 2 s after it started.
        timeout 8 "$BERTH" logs -f --no-color >follow.out 2>&1 &
        follower=$!
        for i in $(seq 100); do grep -q later-line follow.out 2>/dev/null && break; sleep 0.1; done
        "$BERTH" logs --no-color >logs.out 2>&1; echo "logs-status $?"
        journalctl -D /run/log/journal -o json --no-pager CONTAINER_NAME=\(project)-talk-1 >journal.json 2>&1
        "$BERTH" down -t 1 >/dev/null 2>&1
        kill $follower $journald 2>/dev/null; wait
        """
        let result = try BerthBinary.runProgramWithEnvironment("/usr/bin/unshare", ["-m", "--propagation", "private", "bash", "-c", script],
                                                              in: directory, environment: ["BERTH": BerthBinary.path])
        let read = { (name: String) in (try? String(contentsOfFile: directory + "/" + name, encoding: .utf8)) ?? "" }
        #expect(result.stdout.contains("up-status 0"), "\(result.stdout)\n\(read("up.out"))")
        #expect(result.stdout.contains("logs-status 0"), "\(result.stdout)")
        let logs = read("logs.out")
        for line in ["out-line", "err-line", "later-line"] {
            #expect(logs.split(separator: "\n").contains { $0.contains("talk-1") && $0.hasSuffix("| " + line) }, "logs printed: \(logs)")
        }
        let follow = read("follow.out")
        #expect(follow.contains("out-line") && follow.contains("later-line"), "logs -f printed: \(follow)")

        // docker's fields: priority 6 for stdout, 3 for stderr, the container's name, id and tag.
        let entries = read("journal.json").split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let byMessage = Dictionary(entries.compactMap { entry in (entry["MESSAGE"] as? String).map { ($0, entry) } }) { first, _ in first }
        let out = try #require(byMessage["out-line"], "journal: \(read("journal.json"))")
        let err = try #require(byMessage["err-line"])
        #expect(out["PRIORITY"] as? String == "6")
        #expect(err["PRIORITY"] as? String == "3")
        #expect(out["SYSLOG_IDENTIFIER"] as? String == "talker")
        #expect(out["CONTAINER_TAG"] as? String == "talker")
        #expect(out["COM_DOCKER_COMPOSE_SERVICE"] as? String == "talk")
        #expect(out["COM_DOCKER_COMPOSE_PROJECT"] as? String == project)
        let full = try #require(out["CONTAINER_ID_FULL"] as? String)
        #expect(out["CONTAINER_ID"] as? String == String(full.prefix(12)))
    }

    @Test("with no journal running, up fails naming the service and saying the journal is not running")
    func noJournal() throws {
        let project = "jrn" + UUID().uuidString.prefix(8).lowercased()
        let directory = try temporaryDirectory(["compose.yaml": Data(Self.compose(project: project).utf8)])
        defer {
            _ = try? BerthBinary.runWithOutputFiles(["down", "-t", "1"], in: directory, environment: Self.environment(directory))
            try? FileManager.default.removeItem(atPath: directory)
        }
        let result = try BerthBinary.runWithOutputFiles(["up", "-d"], in: directory, environment: Self.environment(directory))
        #expect(result.status != 0)
        #expect(result.stderr.contains("talk"), "\(result.stderr)")
        #expect(result.stderr.contains("the journal is not running"), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count <= 3, "one clear error, not a trace: \(result.stderr)")
    }

    static func environment(_ directory: String) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["BERTH_DATA_DIR"] = directory + "/data"
        environment["BERTH_RUNTIME_DIR"] = directory + "/run"
        environment["BERTH_JOURNAL_SOCKET"] = directory + "/no-journal/socket"
        return environment
    }
}

extension BerthBinary {
    /// Runs `program` with `environment` added to this process's, output (stdout and stderr
    /// together) through a file, so children it leaves behind hold no pipe of the test's.
    static func runProgramWithEnvironment(_ program: String, _ arguments: [String], in directory: String,
                                          environment: [String: String]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var env = ProcessInfo.processInfo.environment
        for key in env.keys where key.hasPrefix("COMPOSE_") || key == "BERTH_JOURNAL_SOCKET" { env[key] = nil }
        env.merge(environment) { $1 }
        process.environment = env
        let outPath = directory + "/script.out"
        FileManager.default.createFile(atPath: outPath, contents: nil)
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        defer { try? out.close() }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = out
        process.standardError = out
        let start = Date()
        try process.run()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
                      stderr: "", seconds: Date().timeIntervalSince(start))
    }
}
