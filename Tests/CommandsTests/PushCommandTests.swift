import Foundation
import Images
import OCISpec
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `berth push` on a project, against Debian's docker-registry: what is pushed, what is skipped,
/// dependencies with --include-deps, and failures with and without --ignore-push-failures.
@Suite struct PushCommandTests {
    /// A project directory whose store (`data/`) holds one small image tagged as each of `names`.
    static func project(compose: String, images names: [String]) throws -> (directory: String, environment: [String: String]) {
        let directory = try temporaryDirectory(["compose.yaml": Data(compose.utf8)])
        let archive = try ImageCommandsTests.dockerArchive(in: URL(fileURLWithPath: directory))
        let store = try ImageStore(dataDirectory: URL(fileURLWithPath: directory + "/data"))
        let loaded = try store.importImages(from: .dockerArchive(path: archive.path))
        for name in names {
            for record in loaded { try store.tag(record.manifest, as: try ImageReference(parsing: name)) }
        }
        return (directory, ["BERTH_DATA_DIR": directory + "/data"])
    }

    /// The digest the registry serves for `repository:tag`, or nil when it has no such manifest.
    static func remoteDigest(_ registry: PushTestRegistry, _ repository: String, _ tag: String) async throws -> String? {
        let url = try #require(URL(string: "http://\(registry.address)/v2/\(repository)/manifests/\(tag)"))
        var request = URLRequest(url: url)
        request.setValue("\(MediaType.ociManifest.rawValue), \(MediaType.dockerManifest.rawValue)", forHTTPHeaderField: "Accept")
        let (_, response) = try await URLSession.shared.data(for: request)
        guard let http = response as? HTTPURLResponse, http.statusCode == 200 else { return nil }
        return http.value(forHTTPHeaderField: "Docker-Content-Digest")
    }

    static func localDigest(_ environment: [String: String], _ name: String) throws -> String {
        let store = try ImageStore(dataDirectory: URL(fileURLWithPath: environment["BERTH_DATA_DIR", default: ""]))
        return try store.resolve(name).manifest.digest.description
    }

    @Test("push uploads a shared image once, skips offline images, and a second push sends no blob")
    func pushesOnce() async throws {
        if let reason = PushTestRegistry.unavailableReason { print("skipped: \(reason)"); return }
        let registry = try await PushTestRegistry()
        let image = "\(registry.address)/berth/cli:1"
        let (directory, environment) = try Self.project(compose: """
            services:
              app:
                image: \(image)
              worker:
                image: \(image)
              offline:
                image: oci:./images/busybox:latest
            """, images: [image])

        let first = try BerthBinary.run(["push"], in: directory, environment: environment)
        #expect(first.status == 0, "\(first.stderr)")
        let pushedLines = first.stdout.split(separator: "\n").filter { $0.hasPrefix("Pushed \(image)@") }
        #expect(pushedLines.count == 1, "one push for the two services sharing the image: \(first.stdout)")
        #expect(first.stdout.contains("offline: skipped"), "\(first.stdout)")
        let local = try Self.localDigest(environment, image)
        #expect(try await Self.remoteDigest(registry, "berth/cli", "1") == local)

        let second = try BerthBinary.run(["push"], in: directory, environment: environment)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.contains("already in the registry"), "\(second.stdout)")
        #expect(!second.stdout.contains(": pushed "), "no blob is uploaded twice: \(second.stdout)")

        let quiet = try BerthBinary.run(["push", "-q"], in: directory, environment: environment)
        #expect(quiet.status == 0, "\(quiet.stderr)")
        #expect(quiet.stdout.isEmpty, "\(quiet.stdout)")
    }

    @Test("a named service pushes alone; --include-deps also pushes what it depends on")
    func includeDeps() async throws {
        if let reason = PushTestRegistry.unavailableReason { print("skipped: \(reason)"); return }
        let registry = try await PushTestRegistry()
        let web = "\(registry.address)/berth/web:1", db = "\(registry.address)/berth/db:1"
        let (directory, environment) = try Self.project(compose: """
            services:
              web:
                image: \(web)
                depends_on: [db]
              db:
                image: \(db)
            """, images: [web, db])

        let alone = try BerthBinary.run(["push", "-q", "web"], in: directory, environment: environment)
        #expect(alone.status == 0, "\(alone.stderr)")
        #expect(try await Self.remoteDigest(registry, "berth/web", "1") != nil)
        #expect(try await Self.remoteDigest(registry, "berth/db", "1") == nil, "db is not pushed without --include-deps")

        let withDeps = try BerthBinary.run(["push", "-q", "--include-deps", "web"], in: directory, environment: environment)
        #expect(withDeps.status == 0, "\(withDeps.stderr)")
        #expect(try await Self.remoteDigest(registry, "berth/db", "1") == (try Self.localDigest(environment, db)))
    }

    @Test("a failing push fails the command naming the service, or warns with --ignore-push-failures")
    func failures() throws {
        // Nothing listens on port 1: the push fails at the first blob, with no registry needed.
        let image = "127.0.0.1:1/berth/nowhere:1"
        let (directory, environment) = try Self.project(compose: """
            services:
              app:
                image: \(image)
              missing:
                image: 127.0.0.1:1/berth/not-in-store:1
            """, images: [image])
        let failed = try BerthBinary.run(["push", "-q"], in: directory, environment: environment)
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("app: "), "\(failed.stderr)")
        #expect(failed.stderr.contains("127.0.0.1:1"), "\(failed.stderr)")
        #expect(failed.stderr.contains("missing: "), "\(failed.stderr)")
        #expect(failed.stderr.contains("image not found"), "\(failed.stderr)")
        let ignored = try BerthBinary.run(["push", "-q", "--ignore-push-failures"], in: directory, environment: environment)
        #expect(ignored.status == 0, "\(ignored.stderr)")
        #expect(ignored.stderr.contains("warning: app: "), "\(ignored.stderr)")
    }
}

/// Debian's `docker-registry` on 127.0.0.1 and a free port, without auth, stopped when released.
/// A smaller cousin of ImagesTests' `RegistryServer`: test targets cannot share sources without a
/// support target, and this needs none of the auth set-ups.
final class PushTestRegistry {
    static let binary = "/usr/bin/docker-registry"
    static var unavailableReason: String? {
        FileManager.default.isExecutableFile(atPath: binary)
            ? nil : "\(binary) is not installed (apt-get install docker-registry; see .ci/deps)"
    }

    let root: String
    let port: Int
    let process = Process()
    var address: String { "127.0.0.1:\(port)" }

    init() async throws {
        root = try temporaryDirectory([:])
        port = try Self.freePort()
        let config = """
            version: 0.1
            log:
              level: error
              accesslog:
                disabled: true
            storage:
              filesystem:
                rootdirectory: \(root)/storage
            http:
              addr: 127.0.0.1:\(port)
            """
        try config.write(toFile: root + "/config.yml", atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["serve", root + "/config.yml"]
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        for _ in 0..<100 {
            if let url = URL(string: "http://\(address)/v2/"),
               let (_, response) = try? await URLSession.shared.data(from: url),
               (response as? HTTPURLResponse)?.statusCode == 200
            {
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "docker-registry did not answer on \(address)"])
    }

    deinit {
        process.terminate()
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: root)
    }

    /// A TCP port nobody listens on right now (the kernel picks it).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EBADF) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(fd, socketAddress, length) == 0 && getsockname(fd, socketAddress, &length) == 0
            }
        }
        guard bound else { throw POSIXError(.EADDRINUSE) }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
