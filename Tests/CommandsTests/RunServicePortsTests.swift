import Foundation
import Testing
@testable import Commands

/// `run --service-ports` through the binary as root: the service's fixed host ports are checked
/// before anything starts (as `up` checks them), and a detached one-off's ports are published by
/// the project's supervisor.
@Suite("run --service-ports", .serialized,
       .enabled(if: ContainerFixture.unavailableReason == nil, "\(ContainerFixture.unavailableReason ?? "")"))
struct RunServicePortsTests {
    @Test("a port held by another process fails run before anything starts, naming the port and its holder; free, the one-off publishes it; a second one-off cannot take it")
    func servicePorts() async throws {
        let port = PublishedPortsTests.freePort()
        // The one-off's ports are published by the project's supervisor, which runs while a
        // service of the project does: `side`.
        let project = try PublishedPortsTests.Project("services:\n" + PublishedPortsTests.web(port: port) + """

              side:
                image: \(PublishedPortsTests.image)
                command: \(CommandStack.loop)
            """)
        #expect(try project.run(["up", "-d", "side"]).status == 0)
        do {
            let listener = try #require(PortConflictTests.Listener(port: port), "bind 127.0.0.1:\(port)")
            let run = try project.run(["run", "-d", "--service-ports", "web"])
            #expect(run.status == 1, "run --service-ports with port \(port) taken: \(run.stdout)\(run.stderr)")
            #expect(run.stderr.contains("port \(port)/tcp is already in use"), "\(run.stderr)")
            #expect(run.stderr.contains("pid \(getpid())"), "the holder, this test: \(run.stderr)")
            let ps = try project.run(["ps", "-a", "--format", "json"])
            #expect(!ps.stdout.contains("-web-"), "nothing was created: \(ps.stdout)")
            withExtendedLifetime(listener) {}
        }

        let run = try project.run(["run", "-d", "--service-ports", "web"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.hasPrefix("\(project.name)-web-run-"), "\(run.stdout)")
        var body: String?
        for _ in 0..<50 {
            body = PublishedPortsTests.httpGet(port: port)
            if body?.contains("served") == true { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(body?.contains("served") == true, "GET 127.0.0.1:\(port) from the one-off: \(body ?? "nothing answered")")

        let second = try project.run(["run", "-d", "--service-ports", "web"])
        #expect(second.status == 1, "\(second.stdout)\(second.stderr)")
        #expect(second.stderr.contains("port \(port)/tcp is already in use"), "\(second.stderr)")
        // `down` keeps one-offs unless asked (the planner's rule): this test's must go.
        #expect(try project.run(["down", "-v", "--remove-orphans", "-t", "1"]).status == 0)
    }
}
