import Foundation
import Testing
@testable import Commands

/// A ten-service stack under the two hazards the state store and the project lock exist for: a
/// `berth` killed in the middle of `up`, and two `up`s at once.
@Suite("crash and concurrency", .enabled(if: ContainerFixture.unavailableReason == nil, "\(ContainerFixture.unavailableReason ?? "")"))
struct StackRobustnessTests {
    static let tenServices = "services:\n" + (1...10).map { index in
        "  s\(index):\n    image: IMAGE\n    command: \(CommandStack.loop)\n"
    }.joined()

    /// Every service of the stack has exactly one container and it runs.
    static func expectOneRunningPerService(_ stack: CommandStack, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let rows = try stack.containers()
        #expect(rows.keys.sorted() == (1...10).map { "s\($0)-1" }.sorted(), "\(rows.keys.sorted())", sourceLocation: sourceLocation)
        #expect(rows.values.allSatisfy { $0.State == "running" }, "\(rows.mapValues(\.State))", sourceLocation: sourceLocation)
        #expect(Set(rows.values.map(\.ID)).count == rows.count, sourceLocation: sourceLocation)
    }

    @Test("kill -9 of up -d in the middle of a 10-service apply, then up -d again: every service runs exactly once")
    func killedUp() throws {
        let stack = try CommandStack(Self.tenServices)
        let up = try stack.start(["up", "-d", "--parallel", "2"], output: "killed")
        // Kill once a few containers started and before all did.
        var started = 0
        for _ in 0..<400 {
            let output = (try? String(contentsOfFile: stack.directory + "/killed.stdout", encoding: .utf8)) ?? ""
            started = output.components(separatedBy: "Started").count - 1
            if started >= 3 || !up.isRunning { break }
            usleep(5_000)
        }
        kill(up.processIdentifier, SIGKILL)
        up.waitUntilExit()
        #expect(up.terminationReason == .uncaughtSignal, "berth was killed mid-apply (had started \(started))")
        #expect(started < 10, "killed before the end")

        let again = try stack.run(["up", "-d"])
        #expect(again.status == 0, "\(again.stderr)")
        try Self.expectOneRunningPerService(stack)
        #expect(try stack.run(["up", "-d"]).stdout == "nothing to do\n")
    }

    @Test("two concurrent up -d on one project both finish and leave one container per service")
    func concurrentUp() throws {
        let stack = try CommandStack(Self.tenServices)
        let first = try stack.start(["up", "-d"], output: "first")
        let second = try stack.start(["up", "-d"], output: "second")
        first.waitUntilExit()
        second.waitUntilExit()
        let errors = ["first", "second"].map { (try? String(contentsOfFile: stack.directory + "/\($0).stderr", encoding: .utf8)) ?? "" }
        #expect(first.terminationStatus == 0, "\(errors[0])")
        #expect(second.terminationStatus == 0, "\(errors[1])")
        try Self.expectOneRunningPerService(stack)
        // The lock made them take turns: one created everything, the other had nothing to do.
        let outputs = ["first", "second"].map { (try? String(contentsOfFile: stack.directory + "/\($0).stdout", encoding: .utf8)) ?? "" }
        #expect(outputs.contains("nothing to do\n"), "\(outputs)")
    }
}

/// start, stop and exec as the unprivileged `berth-test` user, through copies of the binaries it
/// can read, over directories it owns.
@Suite("lifecycle commands rootless", .enabled(if: RootlessCLI.unavailableReason == nil, "\(RootlessCLI.unavailableReason ?? "")"))
struct RootlessLifecycleTests {
    @Test("as an unprivileged user: up -d, stop, start, exec with its exit code, down")
    func rootless() throws {
        let user = try RootlessCLI()
        let up = try user.run(["up", "-d"])
        #expect(up.status == 0, "\(up.stderr)")
        let stop = try user.run(["stop", "-t", "5"])
        #expect(stop.status == 0, "\(stop.stderr)")
        #expect(stop.stdout == "✔ Container \(user.project)-web-1  Stopped\n✔ Container \(user.project)-db-1  Stopped\n", "\(stop.stdout)")
        #expect(try user.run(["ps", "-a", "--format", "json"]).stdout.components(separatedBy: "\"State\":\"exited\"").count == 3)
        let start = try user.run(["start"])
        #expect(start.status == 0, "\(start.stderr)")
        #expect(start.stdout == "✔ Container \(user.project)-db-1  Started\n✔ Container \(user.project)-web-1  Started\n", "\(start.stdout)")
        let exec = try user.run(["exec", "-T", "-e", "X=1", "web", "sh", "-c", "echo $MODE$X; exit 4"])
        #expect(exec.status == 4, "\(exec.stderr)")
        #expect(exec.stdout == "test1\n", "\(exec.stdout)")
        let down = try user.run(["down", "-t", "2"])
        #expect(down.status == 0, "\(down.stderr)")
        #expect(try user.run(["ps", "-a", "-q"]).stdout.isEmpty)
    }
}

/// An area the `berth-test` user owns, with copies of `berth`, `berth-init` and the busybox
/// image, and the two-service project; commands run there through runuser.
final class RootlessCLI {
    static let user = "berth-test"
    let area = NSTemporaryDirectory() + "berth-cli-rootless-\(UUID().uuidString.prefix(8))"
    let project = "rl" + UUID().uuidString.prefix(6).lowercased()

    static let unavailableReason: String? = {
        if let reason = ContainerFixture.unavailableReason { return reason }
        guard getpwnam(user) != nil else { return "no \(user) user (.ci/deps creates it)" }
        let subuid = (try? String(contentsOfFile: "/etc/subuid", encoding: .utf8)) ?? ""
        if !subuid.contains(user + ":") { return "\(user) has no /etc/subuid range (.ci/deps adds it)" }
        if !FileManager.default.isExecutableFile(atPath: "/usr/bin/newuidmap") { return "newuidmap is missing (uidmap package)" }
        return nil
    }()

    init() throws {
        let products = URL(fileURLWithPath: BerthBinary.path).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: area + "/bin", withIntermediateDirectories: true)
        for name in ["berth", "berth-init"] {
            try copyExecutable(products + "/" + name, to: area + "/bin/" + name)
        }
        try FileManager.default.copyItem(atPath: (ContainerFixture.images ?? "") + "/busybox", toPath: area + "/busybox")
        let yaml = "name: \(project)\n" + CommandStack.twoServices.replacingOccurrences(of: "IMAGE", with: "oci:\(area)/busybox")
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: area + "/compose.yaml"))
        #expect(try Self.exec(["/bin/chown", "-R", Self.user, area]) == 0)
    }

    deinit {
        _ = try? run(["down", "-v", "-t", "1"])
        try? FileManager.default.removeItem(atPath: area)
    }

    func run(_ arguments: [String]) throws -> BerthBinary.Result {
        let quoted = ([area + "/bin/berth"] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let status = try Self.exec([
            "/usr/sbin/runuser", "-u", Self.user, "--", "/usr/bin/env", "-i", "PATH=/usr/bin:/bin", "HOME=\(area)",
            "BERTH_DATA_DIR=\(area)/data", "BERTH_RUNTIME_DIR=\(area)/run",
            "/bin/sh", "-c", "cd \(area) && exec \(quoted) > \(area)/stdout 2> \(area)/stderr < /dev/null",
        ])
        return BerthBinary.Result(status: status,
                                  stdout: (try? String(contentsOfFile: area + "/stdout", encoding: .utf8)) ?? "",
                                  stderr: (try? String(contentsOfFile: area + "/stderr", encoding: .utf8)) ?? "",
                                  seconds: 0)
    }

    static func exec(_ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}
