import Foundation
import Testing
@testable import Commands

/// `depends_on` conditions on the paths that start containers without `up`: `start`, `restart`
/// and `run`, through the real binary with busybox containers. `db` removes its ready mark as it
/// starts and becomes healthy about 2 s later; `web` exits 3 at once if it starts before then.
@Suite("depends_on conditions on start, restart and run", .enabled(if: ContainerFixture.unavailableReason == nil, "\(ContainerFixture.unavailableReason ?? "")"))
struct DependencyConditionsCLITests {
    static let gated = """
        services:
          db:
            image: IMAGE
            command: ["sh", "-c", "busybox rm -f /data/ready; echo db warming up; busybox sleep 2; busybox touch /data/ready; \(SupervisorCLITests.loop)"]
            volumes: [data:/data]
            healthcheck:
              test: ["CMD-SHELL", "test -f /data/ready"]
              interval: 300ms
              retries: 30
          web:
            image: IMAGE
            command: ["sh", "-c", "test -f /data/ready || exit 3; \(SupervisorCLITests.loop)"]
            volumes: [data:/data]
            depends_on:
              db: {condition: service_healthy}
        volumes:
          data: {}
        """

    /// Runs `berth` and measures how long it took.
    static func timed(_ stack: CommandStack, _ arguments: [String]) throws -> BerthBinary.Result {
        let start = Date()
        var result = try stack.run(arguments)
        result.seconds = Date().timeIntervalSince(start)
        return result
    }

    @Test("start after stop waits for the dependency to become healthy before it starts the dependent")
    func startAfterStop() throws {
        let stack = try CommandStack(Self.gated)
        let up = try stack.run(["up", "-d"])
        #expect(up.status == 0, "\(up.stderr)")
        #expect(try stack.run(["stop", "-t", "1"]).status == 0)
        let start = try Self.timed(stack, ["start"])
        #expect(start.status == 0, "\(start.stderr)")
        #expect(start.seconds >= 2, "web was started before db could be healthy (\(start.seconds) s)")
        let rows = try stack.containers()
        #expect(rows["db-1"]?.Health == "healthy")
        #expect(rows["web-1"]?.State == "running", "web started before db was healthy: \(String(describing: rows["web-1"]))")
    }

    @Test("start SERVICE starts its dependencies first and waits for their condition")
    func startNamedService() throws {
        let stack = try CommandStack(Self.gated)
        #expect(try stack.run(["up", "-d"]).status == 0)
        #expect(try stack.run(["stop", "-t", "1"]).status == 0)
        let start = try Self.timed(stack, ["start", "web"])
        #expect(start.status == 0, "\(start.stderr)")
        #expect(start.seconds >= 2)
        #expect(try stack.states() == ["db-1": "running", "web-1": "running"])
    }

    @Test("restart restarts the dependency, then the dependent once the dependency is healthy again")
    func restart() throws {
        let stack = try CommandStack(Self.gated)
        #expect(try stack.run(["up", "-d"]).status == 0)
        let restart = try Self.timed(stack, ["restart", "-t", "1"])
        #expect(restart.status == 0, "\(restart.stderr)")
        #expect(restart.seconds >= 2, "web was restarted before db could be healthy again (\(restart.seconds) s)")
        let rows = try stack.containers()
        #expect(rows["db-1"]?.Health == "healthy")
        #expect(rows["web-1"]?.State == "running", "\(String(describing: rows["web-1"]))")
    }

    @Test("run starts the service's dependencies and waits until they are healthy; --no-deps does neither")
    func run() throws {
        let stack = try CommandStack(Self.gated)
        let run = try Self.timed(stack, ["run", "--rm", "-T", "web", "sh", "-c", "test -f /data/ready && echo db was ready"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("db was ready"), "\(run.stdout)")
        #expect(run.seconds >= 2)
        #expect(try stack.containers()["db-1"]?.Health == "healthy")

        let other = try CommandStack(Self.gated.replacingOccurrences(of: "    volumes: [data:/data]\n", with: ""))
        let alone = try other.run(["run", "--rm", "--no-deps", "-T", "web", "sh", "-c", "echo alone"])
        #expect(alone.status == 0, "\(alone.stderr)")
        #expect(try other.containers().isEmpty, "--no-deps started a dependency")
    }

    @Test("start fails naming a dependency that becomes unhealthy, with its last log lines, and leaves the dependent stopped")
    func unhealthyDependency() throws {
        let stack = try CommandStack(Self.gated.replacingOccurrences(of: "test -f /data/ready\"]", with: "echo probe says no; exit 1\"]")
            .replacingOccurrences(of: "retries: 30", with: "retries: 2"))
        #expect(try stack.run(["create"]).status == 0)
        let start = try stack.run(["start"])
        #expect(start.status == 1)
        #expect(start.stderr.contains("service web: depends_on.db: service_healthy not met"), "\(start.stderr)")
        #expect(start.stderr.contains("unhealthy"), "\(start.stderr)")
        #expect(start.stderr.contains("probe says no"), "\(start.stderr)")
        #expect(start.stderr.contains("db warming up"), "the dependency's last log lines: \(start.stderr)")
        #expect(try stack.states()["web-1"] == "created")
    }

    @Test("run fails naming a migration that exits non-zero (service_completed_successfully) and makes no one-off")
    func failedMigration() throws {
        let stack = try CommandStack("""
            services:
              migrate:
                image: IMAGE
                command: ["sh", "-c", "echo migration broke; exit 4"]
              app:
                image: IMAGE
                command: ["true"]
                depends_on:
                  migrate: {condition: service_completed_successfully}
            """)
        let run = try stack.run(["run", "--rm", "-T", "app", "echo", "should not run"])
        #expect(run.status == 1)
        #expect(!run.stdout.contains("should not run"))
        #expect(run.stderr.contains("depends_on.migrate"), "\(run.stderr)")
        #expect(run.stderr.contains("exited with code 4"), "\(run.stderr)")
        #expect(run.stderr.contains("migration broke"), "\(run.stderr)")
    }

    @Test("a failing optional dependency (required: false) is a warning, and the dependent starts")
    func optionalDependency() throws {
        let stack = try CommandStack("""
            services:
              cache:
                image: IMAGE
                command: ["sh", "-c", "exit 2"]
              web:
                image: IMAGE
                command: \(CommandStack.loop)
                depends_on:
                  cache: {condition: service_completed_successfully, required: false}
            """)
        #expect(try stack.run(["create"]).status == 0)
        let start = try stack.run(["start"])
        #expect(start.status == 0, "\(start.stderr)")
        #expect(start.stderr.contains("warning: service web: depends_on.cache (optional)"), "\(start.stderr)")
        #expect(try stack.states()["web-1"] == "running")
    }
}
