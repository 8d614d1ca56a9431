import Foundation
import Testing
import OCISpec
@testable import Images

@Suite("Image store, archives and transports")
struct ImageArchiveTests {
    static let base: [TarEntry] = [.directory("bin"), .file("bin/busybox", "bb", mode: 0o755), .symlink("bin/sh", to: "busybox"),
                                   .directory("etc"), .file("etc/motd", "hello")]
    static let top: [TarEntry] = [.directory("etc"), .file("etc/.wh.motd", ""), .file("etc/new", "n")]

    @Test("save then load reproduces names, manifest and layers")
    func saveAndLoad() throws {
        let scratch = try TemporaryDirectory()
        let source = try ImageStore(dataDirectory: scratch.path("a"))
        let record = try FixtureImageBuilder(store: source, scratch: scratch.url)
            .build(name: "localhost/test/app:1", layers: [(Self.base, .gzip), (Self.top, .zstd)])
        try source.tag(record.manifest, as: try ImageReference(parsing: "example.com/app:latest"))
        let archive = scratch.path("app.tar")
        try source.save(try source.records(), to: archive)

        let target = try ImageStore(dataDirectory: scratch.path("b"))
        let loaded = try target.load(archive: archive)

        #expect(Set(loaded.compactMap { $0.reference?.description }) == ["localhost/test/app:1", "example.com/app:latest"])
        let details = try target.details(try target.resolve("localhost/test/app:1"))
        #expect(details.id == (try source.details(record)).id)
        #expect(details.manifest.layers.map(\.digest) == (try source.details(record)).manifest.layers.map(\.digest))
        let layers = try target.unpack(details)
        #expect(layers.count == 2)
        #expect(FileManager.default.fileExists(atPath: layers[0].appendingPathComponent("etc/motd").path))
    }

    @Test("a docker save archive with plain tar layers loads and names its tags")
    func dockerArchive() throws {
        let scratch = try TemporaryDirectory()
        let staging = scratch.path("staging")
        try FileManager.default.createDirectory(at: staging.appendingPathComponent("abc"), withIntermediateDirectories: true)
        try writeTar(Self.base, to: staging.appendingPathComponent("abc/layer.tar"))
        let diffID = try sha256(of: staging.appendingPathComponent("abc/layer.tar"))
        let config = ImageConfig(architecture: "amd64", os: "linux", rootfs: .init(diffIDs: [diffID]))
        try JSONEncoder().encode(config).write(to: staging.appendingPathComponent("cfg.json"))
        try Data(#"[{"Config":"cfg.json","RepoTags":["busybox:test"],"Layers":["abc/layer.tar"]}]"#.utf8)
            .write(to: staging.appendingPathComponent("manifest.json"))
        let archive = scratch.path("docker.tar")
        let writer = try TarWriter(path: archive)
        for name in ["manifest.json", "cfg.json", "abc/layer.tar"] {
            try writer.addFile(name, from: staging.appendingPathComponent(name))
        }
        try writer.close()

        let store = try ImageStore(dataDirectory: scratch.path("data"))
        let loaded = try store.importImages(from: try ImageSource(parsing: "docker-archive:\(archive.path)"))

        #expect(loaded.map { $0.reference?.description } == ["docker.io/library/busybox:test"])
        let details = try store.details(try store.resolve("busybox:test"))
        #expect(details.manifest.mediaType == .dockerManifest)
        #expect(try store.unpack(details).count == 1)
    }

    @Test("an archive naming a file outside itself is refused")
    func dockerArchiveEscape() throws {
        let scratch = try TemporaryDirectory()
        let archive = scratch.path("evil.tar")
        let writer = try TarWriter(path: archive)
        try writer.addFile("manifest.json", contents: Data(#"[{"Config":"../../etc/passwd","Layers":[]}]"#.utf8))
        try writer.close()
        let store = try ImageStore(dataDirectory: scratch.path("data"))
        let error = #expect(throws: ImageError.self) { try store.load(archive: archive) }
        #expect(error?.code == .unsafeArchiveEntry)
    }

    @Test("transports parse as podman and skopeo write them", arguments: [
        ("oci-archive:/tmp/a.tar", ImageSource.ociArchive(path: "/tmp/a.tar", tag: nil)),
        ("oci-archive:/tmp/a.tar:v1", .ociArchive(path: "/tmp/a.tar", tag: "v1")),
        ("oci:/srv/layout:latest", .ociLayout(path: "/srv/layout", tag: "latest")),
        ("oci:relative/dir", .ociLayout(path: "relative/dir", tag: nil)),
        ("docker-archive:/tmp/x.tar", .dockerArchive(path: "/tmp/x.tar")),
    ])
    func transports(text: String, expected: ImageSource) throws {
        #expect(try ImageSource(parsing: text) == expected)
    }

    @Test("removing and pruning keeps what a container uses and frees the rest")
    func removeAndPrune() throws {
        let scratch = try TemporaryDirectory()
        let store = try ImageStore(dataDirectory: scratch.path("data"))
        let builder = FixtureImageBuilder(store: store, scratch: scratch.url)
        let used = try builder.build(name: "localhost/used:1", layers: [(Self.base, .gzip)])
        let spare = try builder.build(name: "localhost/spare:1", layers: [(Self.top, .gzip)])
        let usedID = try store.details(used).id
        _ = try store.unpack(try store.details(spare))

        let refusal = #expect(throws: ImageError.self) { try store.remove("localhost/used:1", inUse: [usedID]) }
        #expect(refusal?.code == .inUse)
        #expect(try store.remove("localhost/spare:1") == ["localhost/spare:1"])
        let report = try store.prune(inUse: [usedID])

        #expect(report.removedBlobs == 3, "manifest, config and layer of the removed image")
        #expect(report.removedLayers == 1)
        #expect(try store.records().map { $0.reference?.description } == ["localhost/used:1"])
        #expect(throws: ImageError.self) { try store.resolve("localhost/spare:1") }
        #expect(try store.resolve(usedID.shortID).manifest == used.manifest, "found by short ID")
    }
}
