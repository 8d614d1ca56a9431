import Foundation
import OCISpec
import SystemSupport
import Testing

/// Test fixtures for container tests: the built `berth` and `berth-init`, a busybox-static root
/// filesystem with the probe, and a way to run `berth` as root or as the unprivileged test user.
enum Fixture {
    /// The folder SwiftPM built the products into (the test bundle lives there too).
    static let productsDirectory: String = {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        return URL(fileURLWithPath: exe).deletingLastPathComponent().path
    }()

    static var berth: String { productsDirectory + "/berth" }
    static var isRoot: Bool { getuid() == 0 }

    /// Why the container tests cannot run here, or nil when they can.
    static let unavailableReason: String? = {
        if getuid() != 0 { return "container tests run as root (CI runs them as root)" }
        for tool in [berth, productsDirectory + "/berth-init"] where !FileManager.default.isExecutableFile(atPath: tool) {
            return "\(tool) is missing: run `swift build` before `swift test`"
        }
        if !FileManager.default.isExecutableFile(atPath: "/bin/busybox") { return "/bin/busybox is missing (busybox-static, see .ci/deps)" }
        if probe == nil { return "cannot build the probe with `cc -static` (gcc and libc6-dev, see .ci/deps)" }
        return nil
    }()

    /// Why the rootless tests cannot run here, or nil when they can.
    static let rootlessUnavailableReason: String? = {
        if let reason = unavailableReason { return reason }
        guard getpwnam("berth-test") != nil else { return "no berth-test user (.ci/deps creates it)" }
        let subuid = (try? String(contentsOfFile: "/etc/subuid", encoding: .utf8)) ?? ""
        if !subuid.contains("berth-test:") { return "berth-test has no /etc/subuid range (.ci/deps adds it)" }
        return nil
    }()

    /// The probe, compiled statically once per test run.
    static let probe: String? = {
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path + "/Fixtures/probe.c"
        let output = NSTemporaryDirectory() + "berth-probe-\(getpid())"
        let result = try? run(["/usr/bin/cc", "-static", "-O2", "-o", output, source])
        return result?.status == 0 ? output : nil
    }()

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs a program and collects its output through files (no pipe can fill up and block).
    /// posix_spawn + waitpid rather than Foundation's Process, whose exit monitoring hung when
    /// the child left a detached grandchild (the container monitor) behind.
    static func run(_ arguments: [String], as user: String? = nil) throws -> Result {
        let directory = try temporaryDirectory(prefix: "out")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var argv = arguments
        if let user { argv = ["/usr/sbin/runuser", "-u", user, "--"] + argv }
        let out = open(directory + "/out", O_CREAT | O_WRONLY | O_CLOEXEC, 0o644)
        let err = open(directory + "/err", O_CREAT | O_WRONLY | O_CLOEXEC, 0o644)
        let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { close(out); close(err); close(null) }
        let environment = ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }
        let pid = try Spawn.spawn(argv[0], arguments: argv, options: .init(descriptors: [0: null, 1: out, 2: err], environment: environment),
                                  stage: "test")
        let status = try Processes.wait(pid, stage: "test")
        return Result(status: status.shellCode,
                      stdout: (try? String(contentsOfFile: directory + "/out", encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOfFile: directory + "/err", encoding: .utf8)) ?? "")
    }

    static func temporaryDirectory(prefix: String) throws -> String {
        let path = NSTemporaryDirectory() + "berth-\(prefix)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// A test area: a bundle with a busybox root filesystem and the probe, a state root, and
    /// `berth` itself, all readable by the unprivileged test user when `owner` is given.
    struct Area {
        var path: String
        var bundle: String { path + "/bundle" }
        var stateRoot: String { path + "/state" }
        var berth: String
        var user: String?

        init(rootless user: String? = nil) throws {
            path = try Fixture.temporaryDirectory(prefix: "rt")
            self.user = user
            let rootfs = path + "/bundle/rootfs"
            let fm = FileManager.default
            for dir in ["bin", "etc", "tmp", "sbin", "proc", "sys", "dev"] { try fm.createDirectory(atPath: rootfs + "/" + dir, withIntermediateDirectories: true) }
            try Self.copy("/bin/busybox", rootfs + "/bin/busybox")
            for applet in ["sh", "cat", "echo", "id", "ls", "sleep", "true", "false", "grep", "kill", "readlink"] {
                try fm.createSymbolicLink(atPath: rootfs + "/bin/" + applet, withDestinationPath: "busybox")
            }
            try "root:x:0:0:root:/root:/bin/sh\nwww:x:33:33:www:/var/www:/bin/sh\n".write(toFile: rootfs + "/etc/passwd", atomically: true, encoding: .utf8)
            try "root:x:0:\nwww:x:33:\nstaff:x:50:www\n".write(toFile: rootfs + "/etc/group", atomically: true, encoding: .utf8)
            if let probe = Fixture.probe { try Self.copy(probe, rootfs + "/probe") }
            if user == nil {
                berth = Fixture.berth
            } else {
                // CI's clone may sit under /root: give the test user its own copy of the binaries.
                try fm.createDirectory(atPath: path + "/bin", withIntermediateDirectories: true)
                try Self.copy(Fixture.berth, path + "/bin/berth")
                try Self.copy(Fixture.productsDirectory + "/berth-init", path + "/bin/berth-init")
                berth = path + "/bin/berth"
                _ = try Fixture.run(["/bin/chmod", "-R", "a+rX", path])
                // As when the user unpacked the image: the user owns the bundle and its rootfs.
                _ = try Fixture.run(["/bin/chown", "-R", user ?? "", path])
            }
            let spec = try berthRun(["spec", "--bundle", bundle] + (user == nil ? [] : ["--rootless"]))
            if spec.status != 0 { throw FixtureError(message: "berth runtime spec failed: \(spec.stderr)") }
            // Tests run in parallel and reuse container IDs in their own state roots: give each
            // area its own cgroup so that they cannot collide on /berth/<id>.
            let cgroupsPath = "/berth-tests/" + URL(fileURLWithPath: path).lastPathComponent
            try edit { $0.linux?.cgroupsPath = cgroupsPath }
        }

        /// Copies an executable with cp(1): a copy written by this process could leave its write
        /// descriptor open in a child another test spawns meanwhile, and exec would then fail
        /// with ETXTBSY.
        static func copy(_ source: String, _ destination: String) throws {
            let result = try Fixture.run(["/bin/cp", source, destination])
            if result.status != 0 { throw FixtureError(message: "cp \(source): \(result.stderr)") }
        }

        /// Runs `berth runtime --root <state> ARGS` as root or as the area's user.
        func berthRun(_ arguments: [String]) throws -> Result {
            try Fixture.run([berth, "runtime", "--root", stateRoot] + arguments, as: user)
        }

        /// Reads, changes and writes back the bundle's config.json.
        func edit(_ change: (inout RuntimeSpec) -> Void) throws {
            let url = URL(fileURLWithPath: bundle + "/config.json")
            var spec = try JSONDecoder().decode(RuntimeSpec.self, from: Data(contentsOf: url))
            change(&spec)
            try JSONEncoder().encode(spec).write(to: url)
        }

        func setArgs(_ args: [String]) throws { try edit { $0.process?.args = args } }

        /// Containers whose state directories exist.
        var stateEntries: [String] { (try? FileManager.default.contentsOfDirectory(atPath: stateRoot)) ?? [] }

        func remove() { try? FileManager.default.removeItem(atPath: path) }
    }

    struct FixtureError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }
}

/// Parses the probe's "key: value" lines.
func probeFacts(_ output: String) -> [String: String] {
    var facts: [String: String] = [:]
    for line in output.split(separator: "\n") {
        guard let colon = line.firstIndex(of: ":") else { continue }
        facts[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    return facts
}
