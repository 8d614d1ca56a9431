import CArchive
import Foundation
import Testing
import OCISpec
@testable import Images

/// Collects pull events from concurrent tasks.
final class EventLog: Sendable {
    private let storage = Mutex<[PullEvent]>([])
    func record(_ event: PullEvent) { storage.withLock { $0.append(event) } }
    var events: [PullEvent] { storage.withLock { $0 } }
}

import Synchronization

@Suite("Registry pull against Debian's docker-registry", .serialized)
struct RegistryPullTests {
    let scratch: TemporaryDirectory
    let store: ImageStore

    init() throws {
        scratch = try TemporaryDirectory()
        store = try ImageStore(dataDirectory: scratch.path("data"))
    }

    func puller(platform: Platform = .current, auth: [URL] = []) -> ImagePuller {
        ImagePuller(store: store, platform: platform, registries: RegistriesConfiguration(),
                    authFile: AuthFile(searchPath: auth))
    }

    static func skipReason() -> String? {
        if let reason = RegistryServer.unavailableReason { return reason }
        if case .failure(let error) = FixtureImages.directory { return "fixture images could not be built: \(error)" }
        return nil
    }

    @Test("a multi-layer image pulls with its whiteout, opaque directory, hard links and zstd layer")
    func multiLayer() async throws {
        if let reason = Self.skipReason() { print("skipped: \(reason)"); return }
        let registry = try await RegistryServer()
        try registry.push(layout: FixtureImages.layout("multilayer"), as: "test/multi:1")
        let reference = try ImageReference(parsing: "\(registry.address)/test/multi:1")

        let log = EventLog()
        let record = try await puller().pull(reference, events: log.record)

        #expect(record.reference == reference)
        let details = try store.details(try store.resolve(reference.description))
        let layers = try store.unpack(details)
        #expect(layers.count == 3)
        #expect(FileManager.default.isExecutableFile(atPath: layers[0].appendingPathComponent("bin/busybox").path))
        var info = stat()
        #expect(lstat(layers[1].appendingPathComponent("etc/motd").path, &info) == 0 && info.st_mode & S_IFMT == S_IFCHR,
                "whiteout of etc/motd is a character device in the zstd layer")
        let opaque = geteuid() == 0 ? "trusted.overlay.opaque" : "user.overlay.opaque"
        var value: UInt8 = 0
        #expect(getxattr(layers[1].appendingPathComponent("var/cache").path, opaque, &value, 1) == 1 && value == UInt8(ascii: "y"))
        var a = stat(), b = stat()
        stat(layers[2].appendingPathComponent("data/a").path, &a)
        stat(layers[2].appendingPathComponent("data/b").path, &b)
        #expect(a.st_ino == b.st_ino && a.st_nlink == 2, "hard link kept")
        #expect(log.events.filter { if case .layerDownloaded = $0 { true } else { false } }.count == 3)

        // A second pull finds every blob present and fetches none.
        let again = EventLog()
        _ = try await puller().pull(reference, events: again.record)
        #expect(!again.events.contains { if case .layerDownloaded = $0 { true } else { false } })
        #expect(again.events.filter { if case .layerCached = $0 { true } else { false } }.count == 3)
    }

    @Test("two images sharing layers pull at the same time into one store without conflict or leftovers")
    func concurrentSharedLayers() async throws {
        if let reason = Self.skipReason() { print("skipped: \(reason)"); return }
        let registry = try await RegistryServer()
        try registry.push(layout: FixtureImages.layout("busybox"), as: "test/one:1")
        try registry.push(layout: FixtureImages.layout("busybox"), as: "test/two:1")
        let references = try ["one", "two"].map { try ImageReference(parsing: "\(registry.address)/test/\($0):1") }

        let log = EventLog()
        let results = await puller().pull(references, policy: .missing, events: log.record)

        #expect(results.allSatisfy { $0.error == nil && $0.record != nil }, "\(results.compactMap(\.error))")
        #expect(store.content.allLayers().count == 1, "the shared layer has one directory")
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.content.scratchDirectory.path).isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.content.ingestDirectory.path).isEmpty)

        // With policy `missing`, a second run contacts nothing and reports both as present.
        let again = EventLog()
        _ = await puller().pull(references, policy: .missing, events: again.record)
        #expect(again.events.filter { if case .skipped = $0 { true } else { false } }.count == 2)
    }

    @Test("a multi-platform index resolves to the requested platform", arguments: [
        ("linux/amd64", "bin/busybox"), ("linux/arm64", "etc/arch"),
    ])
    func multiPlatform(platform: String, marker: String) async throws {
        if let reason = Self.skipReason() { print("skipped: \(reason)"); return }
        let registry = try await RegistryServer()
        try registry.push(layout: FixtureImages.layout("multiplatform"), as: "test/multi-arch:latest", all: true)
        let reference = try ImageReference(parsing: "\(registry.address)/test/multi-arch")

        _ = try await puller(platform: try Platform(parsing: platform)).pull(reference)

        let details = try store.details(try store.resolve(reference.description))
        #expect(details.config.platform.description.hasPrefix(platform))
        #expect(FileSystem.exists(try store.unpack(details)[0].appendingPathComponent(marker)))
    }

    @Test("basic auth: without credentials the error suggests berth login; with them the pull works")
    func basicAuth() async throws {
        if let reason = Self.skipReason() { print("skipped: \(reason)"); return }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/htpasswd") else {
            print("skipped: htpasswd is not installed (apache2-utils; see .ci/deps)"); return
        }
        let registry = try await RegistryServer(auth: .htpasswd(user: "ada", password: "s3cret"))
        try registry.push(layout: FixtureImages.layout("busybox"), as: "private/busybox:1", credentials: "ada:s3cret")
        let reference = try ImageReference(parsing: "\(registry.address)/private/busybox:1")

        let refused = await #expect(throws: ImageError.self) { try await puller().pull(reference) }
        #expect(refused?.code == .unauthorized)
        #expect(refused?.message.contains("berth login \(registry.address)") == true)

        let authFile = AuthFile(searchPath: [scratch.path("auth.json")])
        try authFile.store(Credential(username: "ada", password: "s3cret"), for: registry.address)
        let record = try await puller(auth: authFile.searchPath).pull(reference)
        #expect(record.reference == reference)

        try authFile.store(Credential(username: "ada", password: "wrong"), for: registry.address)
        let rejected = await #expect(throws: ImageError.self) { try await puller(auth: authFile.searchPath).pull(reference) }
        #expect(rejected?.code == .unauthorized)
    }

    @Test("a missing image is reported as not found, with its name")
    func notFound() async throws {
        if let reason = Self.skipReason() { print("skipped: \(reason)"); return }
        let registry = try await RegistryServer()
        let reference = try ImageReference(parsing: "\(registry.address)/nobody/here:1")
        let error = await #expect(throws: ImageError.self) { try await puller().pull(reference) }
        #expect(error?.code == .imageNotFound)
        #expect(error?.message == "image not found: \(reference)")
    }

    @Test("a registry that is down is named by host and port")
    func registryDown() async throws {
        let port = try freePort()
        let reference = try ImageReference(parsing: "127.0.0.1:\(port)/any/image:1")
        let client = RegistryClient(endpoint: RegistryEndpoint(registry: reference.registry), credential: nil, retries: 0)
        let error = await #expect(throws: ImageError.self) { try await client.manifest(reference) }
        #expect(error?.code == .registryUnreachable)
        #expect(error?.message.contains("127.0.0.1:\(port)") == true)
    }

    @Test("a blob whose content does not match its digest fails the pull and nothing is stored")
    func corruptBlob() async throws {
        if let reason = Self.skipReason() { print("skipped: \(reason)"); return }
        let registry = try await RegistryServer()
        try registry.push(layout: FixtureImages.layout("busybox"), as: "test/corrupt:1")
        let reference = try ImageReference(parsing: "\(registry.address)/test/corrupt:1")
        let manifest = try JSONDecoder().decode(ImageManifest.self, from: try await RegistryClient(
            endpoint: RegistryEndpoint(registry: registry.address), credential: nil).manifest(reference).data)
        let layer = manifest.layers[0]
        let file = registry.blobFile(layer.digest.encoded)
        var bytes = try Data(contentsOf: file)
        bytes[bytes.count / 2] ^= 0xff
        try bytes.write(to: file)

        let error = await #expect(throws: ImageError.self) { try await puller().pull(reference) }
        #expect(error?.code == .digestMismatch)
        #expect(!store.content.hasBlob(layer.digest))
        #expect(try store.records().isEmpty, "no name points at a half-pulled image")
        #expect(store.content.allLayers().isEmpty)
    }

    @Test("an interrupted download resumes from the partial file")
    func resume() async throws {
        if let reason = Self.skipReason() { print("skipped: \(reason)"); return }
        let registry = try await RegistryServer()
        try registry.push(layout: FixtureImages.layout("busybox"), as: "test/resume:1")
        let reference = try ImageReference(parsing: "\(registry.address)/test/resume:1")
        let client = RegistryClient(endpoint: RegistryEndpoint(registry: registry.address), credential: nil)
        let manifest = try JSONDecoder().decode(ImageManifest.self, from: try await client.manifest(reference).data)
        let layer = manifest.layers[0]
        let full = try Data(contentsOf: registry.blobFile(layer.digest.encoded))
        do {
            let writer = try store.content.writer(expected: layer)
            try writer.write(full.prefix(full.count / 3))  // as a killed pull leaves it
        }

        let received = Mutex<Int64>(0)
        let stored = try await client.fetchBlob(repository: reference.repository, layer, into: store.content) { bytes in
            received.withLock { $0 = bytes }
        }
        #expect(stored.digest == layer.digest)
        #expect(try store.content.readBlob(layer.digest) == full)
        #expect(received.withLock { $0 } == Int64(full.count), "progress counts the resumed bytes too")
    }

    @Test("an image whose layer has an unknown media type is refused")
    func unknownMediaType() async throws {
        if let reason = Self.skipReason() { print("skipped: \(reason)"); return }
        let registry = try await RegistryServer()
        try registry.push(layout: FixtureImages.layout("busybox"), as: "test/odd:1")
        let client = RegistryClient(endpoint: RegistryEndpoint(registry: registry.address), credential: nil)
        var manifest = try JSONDecoder().decode(ImageManifest.self, from: try await client.manifest(
            try ImageReference(parsing: "\(registry.address)/test/odd:1")).data)
        manifest.layers[0].mediaType = "application/vnd.example.unknown+tar"
        try await client.pushManifest(repository: "test/odd", reference: "2", try JSONEncoder().encode(manifest), mediaType: .ociManifest)

        let error = await #expect(throws: ImageError.self) {
            try await puller().pull(try ImageReference(parsing: "\(registry.address)/test/odd:2"))
        }
        #expect(error?.code == .unsupportedMediaType)
    }
}

@Suite("Registry push")
struct RegistryPushTests {
    @Test("a pushed image is readable by skopeo and pulls back identical; a second push uploads nothing")
    func pushRoundTrip() async throws {
        if let reason = RegistryPullTests.skipReason() { print("skipped: \(reason)"); return }
        let scratch = try TemporaryDirectory()
        let source = try ImageStore(dataDirectory: scratch.path("source"))
        let record = try FixtureImageBuilder(store: source, scratch: scratch.url)
            .build(name: "localhost/app:1", layers: [(ImageArchiveTests.base, .gzip), (ImageArchiveTests.top, .zstd)])
        let registry = try await RegistryServer()
        let destination = try ImageReference(parsing: "\(registry.address)/team/app:v1")
        let pusher = ImagePusher(store: source, registries: RegistriesConfiguration(), authFile: AuthFile(searchPath: []))

        let first = EventLog2()
        try await pusher.push("localhost/app:1", to: destination, events: first.record)
        #expect(first.uploaded == 3, "config and two layers")

        let inspected = try run("/usr/bin/skopeo", ["inspect", "--tls-verify=false", "--raw", "docker://\(destination)"])
        #expect(ContentStore.digest(of: Data(inspected.utf8)) == record.manifest.digest)

        let second = EventLog2()
        try await pusher.push("localhost/app:1", to: destination, events: second.record)
        #expect(second.uploaded == 0)

        let target = try ImageStore(dataDirectory: scratch.path("target"))
        let pulled = try await ImagePuller(store: target, registries: RegistriesConfiguration(), authFile: AuthFile(searchPath: []))
            .pull(destination)
        #expect(pulled.manifest.digest == record.manifest.digest)
    }
}

final class EventLog2: Sendable {
    private let count = Mutex(0)
    func record(_ event: PushEvent) { if case .blobUploaded = event { count.withLock { $0 += 1 } } }
    var uploaded: Int { count.withLock { $0 } }
}

@Suite("Registry token auth")
struct RegistryTokenAuthTests {
    @Test("bearer token auth: the client follows the challenge to the issuer with the pull scope and credentials")
    func bearerToken() async throws {
        if let reason = RegistryPullTests.skipReason() { print("skipped: \(reason)"); return }
        let scratch = try TemporaryDirectory()
        let issuer = try TokenIssuer(directory: scratch.url)
        defer { issuer.stop() }
        let registry = try await RegistryServer(auth: .token(realm: issuer.realm, service: issuer.service,
                                                             issuer: issuer.issuer, certificate: issuer.certificate))
        try registry.push(layout: FixtureImages.layout("busybox"), as: "secure/busybox:1")
        let reference = try ImageReference(parsing: "\(registry.address)/secure/busybox:1")
        let authFile = AuthFile(searchPath: [scratch.path("auth.json")])
        try authFile.store(Credential(username: "grace", password: "hopper"), for: registry.address)
        let store = try ImageStore(dataDirectory: scratch.path("data"))

        let record = try await ImagePuller(store: store, registries: RegistriesConfiguration(), authFile: authFile).pull(reference)

        #expect(record.reference == reference)
        let berthRequests = issuer.requests.filter { $0.scope == "repository:secure/busybox:pull" }
        #expect(!berthRequests.isEmpty, "Berth asked for a pull token")
        #expect(berthRequests.allSatisfy { $0.service == issuer.service })
        let basic = "Basic " + Data("grace:hopper".utf8).base64EncodedString()
        #expect(berthRequests.contains { $0.authorization == basic }, "credentials went to the token service")
    }
}
