import Foundation
import Testing

/// `berth pull` on a project: offline images imported from paths relative to the project, and
/// pull failures that fail the command unless --ignore-pull-failures.
@Suite struct PullCommandTests {
    static func project(image: String) throws -> (directory: String, data: String) {
        let directory = try temporaryDirectory([
            "compose.yaml": Data("services:\n  app:\n    image: \"\(image)\"\n".utf8),
        ])
        let build = Process()
        build.executableURL = URL(fileURLWithPath: "/bin/bash")
        build.arguments = [repositoryRoot + "/Tests/ImagesTests/Fixtures/build-images.sh", directory + "/images"]
        try build.run()
        build.waitUntilExit()
        #expect(build.terminationStatus == 0, "the fixture script builds the busybox image")
        return (directory, directory + "/data")
    }

    @Test("an oci: image relative to the project is imported")
    func importsOffline() throws {
        let (directory, data) = try Self.project(image: "oci:./images/busybox:latest")
        let result = try BerthBinary.run(["pull"], in: directory, environment: ["BERTH_DATA_DIR": data])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("app: imported"), "\(result.stdout)")
        let listed = try BerthBinary.run(["image", "ls"], in: directory, environment: ["BERTH_DATA_DIR": data])
        #expect(listed.stdout.split(separator: "\n").count == 2, "one image in the store: \(listed.stdout)")
    }

    @Test("a failing pull fails the command, or warns with --ignore-pull-failures")
    func failures() throws {
        let directory = try temporaryDirectory([
            "compose.yaml": Data("services:\n  app:\n    image: 127.0.0.1:1/nothing:latest\n".utf8),
        ])
        let environment = ["BERTH_DATA_DIR": directory + "/data"]
        let failed = try BerthBinary.run(["pull", "-q"], in: directory, environment: environment)
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("app: "), "\(failed.stderr)")
        #expect(failed.stderr.contains("127.0.0.1:1"), "\(failed.stderr)")
        let ignored = try BerthBinary.run(["pull", "-q", "--ignore-pull-failures"], in: directory, environment: environment)
        #expect(ignored.status == 0, "\(ignored.stderr)")
        #expect(ignored.stderr.contains("warning: app: "), "\(ignored.stderr)")
    }

    @Test("the README's offline path: build the example image, load it through oci-archive:, pull the stack")
    func readmeOfflinePath() throws {
        let data = try temporaryDirectory([:]) + "/data"
        let build = Process()
        build.executableURL = URL(fileURLWithPath: "/bin/bash")
        build.arguments = [repositoryRoot + "/Examples/images/build.sh"]
        try build.run()
        build.waitUntilExit()
        #expect(build.terminationStatus == 0)
        let environment = ["BERTH_DATA_DIR": data]
        let loaded = try BerthBinary.run(["image", "pull", "oci-archive:Examples/images/busybox.tar"], environment: environment)
        #expect(loaded.status == 0, "\(loaded.stderr)")
        #expect(loaded.stdout.contains("docker.io/library/busybox:latest"), "\(loaded.stdout)")
        let pulled = try BerthBinary.run(["-f", "Examples/webapp/compose.yaml", "pull"], environment: environment)
        #expect(pulled.status == 0, "nothing to fetch: \(pulled.stderr)")
    }
}
