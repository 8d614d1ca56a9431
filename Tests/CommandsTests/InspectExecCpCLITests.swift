import Foundation
import Images
import Testing
@testable import Commands

extension CommandStack {
    /// Runs `berth` with standard input read from `stdinPath` (when given) and standard output
    /// written, byte for byte, to `stdoutPath`; returns the status and standard error.
    func run(_ arguments: [String], stdinPath: String?, stdoutPath: String) throws -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: BerthBinary.path)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var environment = ProcessInfo.processInfo.environment
        for key in environment.keys where key.hasPrefix("COMPOSE_") { environment[key] = nil }
        environment.merge(self.environment) { $1 }
        process.environment = environment
        let errPath = directory + "/bytes.stderr"
        _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        process.standardInput = try stdinPath.map { try FileHandle(forReadingFrom: URL(fileURLWithPath: $0)) } ?? FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return (process.terminationStatus, (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }
}

/// Runs a host program (tar) and returns its status and standard output.
func host(_ program: String, _ arguments: [String], in directory: String) throws -> (status: Int32, stdout: String) {
    let result = try BerthBinary.runProgram(program, arguments, in: directory)
    return (result.status, result.stdout)
}

/// `inspect`, `exec --privileged` and `cp` with tar streams, through the real binary on busybox
/// containers.
@Suite("inspect, exec --privileged and cp -", .enabled(if: ContainerFixture.unavailableReason == nil, "\(ContainerFixture.unavailableReason ?? "")"))
struct InspectExecCpCLITests {
    @Test("inspect prints docker's shape: state with health and its log, restart count and policy, config, networks, mounts")
    func inspect() throws {
        let stack = try CommandStack("""
            services:
              web:
                image: IMAGE
                command: \(CommandStack.loop)
                environment: {FOO: bar}
                labels: {team: berth}
                hostname: webhost
                working_dir: /tmp
                restart: on-failure:3
                volumes: [data:/data]
                healthcheck:
                  test: ["CMD-SHELL", "echo probe ran"]
                  interval: 200ms
              fail:
                image: IMAGE
                command: ["sh", "-c", "exit 1"]
                restart: on-failure:2
            volumes:
              data: {}
            """)
        let up = try stack.run(["up", "-d"])
        #expect(up.status == 0, "\(up.stderr)")
        #expect(try SupervisorCLITests.eventually(20) {
            try stack.run(["inspect", "--format", "{{.RestartCount}} {{.State.Status}}", "fail"]).stdout == "2 exited\n"
                && stack.run(["inspect", "--format", "{{.State.Health.Status}}", "web"]).stdout == "healthy\n"
        })
        let result = try stack.run(["inspect", "web", "fail"])
        #expect(result.status == 0, "\(result.stderr)")
        let documents = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        #expect(documents.count == 2)
        let web = try #require(documents.first)
        let id = try stack.containers()["web-1"]?.ID
        #expect(web["Id"] as? String == id)
        #expect(web["Name"] as? String == "/\(stack.project)-web-1")
        let state = try #require(web["State"] as? [String: Any])
        #expect(state["Status"] as? String == "running")
        #expect(state["Running"] as? Bool == true)
        #expect((state["Pid"] as? Int ?? 0) > 0)
        let health = try #require(state["Health"] as? [String: Any])
        #expect(health["Status"] as? String == "healthy")
        let log = try #require(health["Log"] as? [[String: Any]])
        #expect(log.last?["Output"] as? String == "probe ran\n", "\(log)")
        #expect(log.last?["ExitCode"] as? Int == 0)
        let config = try #require(web["Config"] as? [String: Any])
        #expect((config["Env"] as? [String])?.contains("FOO=bar") == true)
        #expect((config["Labels"] as? [String: String])?["team"] == "berth")
        #expect(config["Hostname"] as? String == "webhost")
        #expect(config["WorkingDir"] as? String == "/tmp")
        #expect(config["Cmd"] as? [String] == ["sh", "-c", "trap 'exit 0' TERM; while true; do busybox sleep 1 & wait; done"])
        let policy = (web["HostConfig"] as? [String: Any])?["RestartPolicy"] as? [String: Any]
        #expect(policy?["Name"] as? String == "on-failure")
        #expect(policy?["MaximumRetryCount"] as? Int == 3)
        let mounts = try #require(web["Mounts"] as? [[String: Any]])
        #expect(mounts.count == 1, "\(mounts)")
        #expect(mounts.first?["Type"] as? String == "volume")
        #expect(mounts.first?["Destination"] as? String == "/data")
        let networks = (web["NetworkSettings"] as? [String: Any])?["Networks"] as? [String: [String: Any]]
        let address = networks?["\(stack.project)_default"]?["IPAddress"] as? String
        #expect(address?.split(separator: ".").count == 4, "\(String(describing: networks))")
        let fail = try #require(documents.last)
        #expect(fail["RestartCount"] as? Int == 2)
        #expect((fail["State"] as? [String: Any])?["ExitCode"] as? Int == 1)

        // A container by name or id prefix; templates with json; unknown names fail after the rest.
        let byName = try stack.run(["inspect", "--format", "{{.Name}} {{json .State.Running}} {{json .Config.Entrypoint}}", "\(stack.project)-web-1"])
        #expect(byName.stdout == "/\(stack.project)-web-1 true []\n", "\(byName.stderr)")
        #expect(try stack.run(["inspect", "--format", "{{.Id}}", String(id?.prefix(12) ?? "")]).stdout == (id ?? "") + "\n")
        let unknown = try stack.run(["inspect", "--format", "{{.State.Status}}", "web", "nope"])
        #expect(unknown.status == 1)
        #expect(unknown.stdout == "running\n")
        #expect(unknown.stderr.contains("no such service or container: nope"), "\(unknown.stderr)")
        let badField = try stack.run(["inspect", "--format", "{{.State.Nope}}", "web"])
        #expect(badField.status == 1)
        #expect(badField.stderr.contains(".State.Nope: no such field"), "\(badField.stderr)")
    }

    @Test("exec --privileged runs with every capability and no seccomp filter, still inside the container")
    func execPrivileged() throws {
        let stack = try CommandStack()
        #expect(try stack.run(["up", "-d"]).status == 0)
        let lastCap = Int(try String(contentsOfFile: "/proc/sys/kernel/cap_last_cap", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)) ?? 40
        let all = String(format: "%016llx", (UInt64(1) << UInt64(lastCap + 1)) - 1)
        func status(_ privileged: Bool) throws -> [String: String] {
            let result = try stack.run(["exec", "-T"] + (privileged ? ["--privileged"] : []) + ["web", "cat", "/proc/self/status"])
            #expect(result.status == 0, "\(result.stderr)")
            var fields: [String: String] = [:]
            for line in result.stdout.split(separator: "\n") {
                let parts = line.split(separator: ":", maxSplits: 1)
                if parts.count == 2 { fields[String(parts[0])] = parts[1].trimmingCharacters(in: .whitespaces) }
            }
            return fields
        }
        let plain = try status(false)
        #expect(plain["CapEff"] != all, "the default exec has the container's capabilities")
        #expect(plain["Seccomp"] == "2")
        let privileged = try status(true)
        #expect(privileged["CapEff"] == all, "\(privileged)")
        #expect(privileged["CapBnd"] == all, "\(privileged)")
        #expect(privileged["Seccomp"] == "0")
        // Its namespaces are the container's: the same pid and mount namespaces as a plain exec.
        let namespaces = { (flags: [String]) in
            try stack.run(["exec", "-T"] + flags + ["web", "sh", "-c", "busybox readlink /proc/self/ns/pid; busybox readlink /proc/self/ns/mnt"]).stdout
        }
        let plainNamespaces = try namespaces([])
        #expect(plainNamespaces.contains("pid:["), "\(plainNamespaces)")
        #expect(try namespaces(["--privileged"]) == plainNamespaces)
    }

    @Test("cp SERVICE:PATH - writes a tar stream and cp - SERVICE:DIR extracts one, running and stopped")
    func cpTarStreams() throws {
        let stack = try CommandStack()
        #expect(try stack.run(["up", "-d"]).status == 0)
        #expect(try stack.run(["exec", "-T", "web", "sh", "-c",
                               "busybox mkdir -p /srv/d/sub && echo hello > /srv/d/a && echo deep > /srv/d/sub/b && busybox ln -s a /srv/d/link"]).status == 0)
        let tarPath = stack.directory + "/out.tar"
        let out = try stack.run(["cp", "web:/srv/d", "-"], stdinPath: nil, stdoutPath: tarPath)
        #expect(out.status == 0, "\(out.stderr)")
        let listing = try host("/usr/bin/tar", ["-tf", tarPath], in: stack.directory)
        #expect(listing.status == 0)
        #expect(Set(listing.stdout.split(separator: "\n").map { $0.hasSuffix("/") ? String($0.dropLast()) : String($0) })
                == ["d", "d/a", "d/sub", "d/sub/b", "d/link"], "\(listing.stdout)")
        #expect(try host("/usr/bin/tar", ["-xOf", tarPath, "d/sub/b"], in: stack.directory).stdout == "deep\n")

        // In: a tar made on the host, extracted into a directory of the running container.
        let source = stack.directory + "/src"
        try FileManager.default.createDirectory(atPath: source + "/tree", withIntermediateDirectories: true)
        try Data("from a tar\n".utf8).write(to: URL(fileURLWithPath: source + "/tree/file"))
        #expect(try host("/usr/bin/tar", ["-cf", stack.directory + "/in.tar", "-C", source, "tree"], in: stack.directory).status == 0)
        let into = try stack.run(["cp", "-", "web:/srv"], stdinPath: stack.directory + "/in.tar", stdoutPath: stack.directory + "/in.out")
        #expect(into.status == 0, "\(into.stderr)")
        #expect(try stack.run(["exec", "-T", "web", "cat", "/srv/tree/file"]).stdout == "from a tar\n")

        // Stopped: out of the layers, into the writable layer.
        #expect(try stack.run(["stop", "-t", "1", "web"]).status == 0)
        let stoppedOut = try stack.run(["cp", "web:/srv/tree/file", "-"], stdinPath: nil, stdoutPath: stack.directory + "/stopped.tar")
        #expect(stoppedOut.status == 0, "\(stoppedOut.stderr)")
        #expect(try host("/usr/bin/tar", ["-xOf", stack.directory + "/stopped.tar", "file"], in: stack.directory).stdout == "from a tar\n")
        try Data("while stopped\n".utf8).write(to: URL(fileURLWithPath: source + "/tree/file"))
        #expect(try host("/usr/bin/tar", ["-cf", stack.directory + "/again.tar", "-C", source + "/tree", "."], in: stack.directory).status == 0)
        let stoppedIn = try stack.run(["cp", "-", "web:/srv/d"], stdinPath: stack.directory + "/again.tar", stdoutPath: stack.directory + "/again.out")
        #expect(stoppedIn.status == 0, "\(stoppedIn.stderr)")
        #expect(try stack.run(["start", "web"]).status == 0)
        #expect(try stack.run(["exec", "-T", "web", "cat", "/srv/d/file"]).stdout == "while stopped\n")

        // Refused: a destination that is not a directory, and names that leave the root.
        let notDirectory = try stack.run(["cp", "-", "web:/srv/d/a"], stdinPath: stack.directory + "/in.tar", stdoutPath: stack.directory + "/x.out")
        #expect(notDirectory.status == 1)
        #expect(notDirectory.stderr.contains("is not a directory in the container"), "\(notDirectory.stderr)")
        let escape = stack.directory + "/escape.tar"
        let writer = try TarWriter(path: URL(fileURLWithPath: escape))
        try writer.addFile("../../../../../../../../tmp/berth-cp-planted-\(stack.project)", contents: Data("x".utf8))
        try writer.close()
        let escaped = try stack.run(["cp", "-", "web:/srv"], stdinPath: escape, stdoutPath: stack.directory + "/escape.out")
        #expect(escaped.status == 1, "\(escaped.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/berth-cp-planted-\(stack.project)"))
    }
}

/// The rootless path differs: the exec'd process joins the container's user namespace, where
/// "every capability" means every capability there.
@Suite("exec --privileged rootless", .enabled(if: RootlessCLI.unavailableReason == nil, "\(RootlessCLI.unavailableReason ?? "")"))
struct RootlessPrivilegedExecTests {
    @Test("as an unprivileged user: exec --privileged has every capability in the container's user namespace and no seccomp filter")
    func privilegedRootless() throws {
        let user = try RootlessCLI()
        let up = try user.run(["up", "-d"])
        #expect(up.status == 0, "\(up.stderr)")
        let lastCap = Int(try String(contentsOfFile: "/proc/sys/kernel/cap_last_cap", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)) ?? 40
        let all = String(format: "%016llx", (UInt64(1) << UInt64(lastCap + 1)) - 1)
        let privileged = try user.run(["exec", "-T", "--privileged", "web", "cat", "/proc/self/status"])
        #expect(privileged.status == 0, "\(privileged.stderr)")
        #expect(privileged.stdout.contains("CapEff:\t\(all)\n"), "\(privileged.stdout)")
        #expect(privileged.stdout.contains("Seccomp:\t0\n"), "\(privileged.stdout)")
        let plain = try user.run(["exec", "-T", "web", "cat", "/proc/self/status"])
        #expect(!plain.stdout.contains("CapEff:\t\(all)\n"), "\(plain.stdout)")
        #expect(plain.stdout.contains("Seccomp:\t2\n"), "\(plain.stdout)")
    }
}
