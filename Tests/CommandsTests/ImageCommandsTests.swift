import ArgumentParser
import Foundation
import Images
import OCISpec
import Testing
@testable import Commands

@Suite("Image commands")
struct ImageCommandsTests {
    /// A one-layer docker-archive, as `docker save` writes it, in `directory`.
    static func dockerArchive(in directory: URL) throws -> URL {
        let layer = directory.appendingPathComponent("layer.tar")
        let writer = try TarWriter(path: layer)
        try writer.addFile("etc/hostname", contents: Data("berth\n".utf8))
        try writer.close()
        let diffID = ContentStore.digest(of: try Data(contentsOf: layer))
        let config = ImageConfig(architecture: "amd64", os: "linux", rootfs: .init(diffIDs: [diffID]))
        let archive = directory.appendingPathComponent("image.tar")
        let tar = try TarWriter(path: archive)
        try tar.addFile("config.json", contents: try JSONEncoder().encode(config))
        try tar.addFile("manifest.json", contents: Data(#"[{"Config":"config.json","RepoTags":["localhost/cli:1"],"Layers":["layer.tar"]}]"#.utf8))
        try tar.addFile("layer.tar", from: layer)
        try tar.close()
        return archive
    }

    func run(_ arguments: [String]) async throws {
        var command = try BerthCommand.parseAsRoot(arguments)
        if var asynchronous = command as? AsyncParsableCommand {
            try await asynchronous.run()
        } else {
            try command.run()
        }
    }

    @Test("load, tag, save and rm act on the store named by --root")
    func lifecycle() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("berth-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let root = directory.appendingPathComponent("data").path
        let archive = try Self.dockerArchive(in: directory)

        try await run(["image", "load", "--root", root, "-i", archive.path])
        try await run(["image", "tag", "--root", root, "localhost/cli:1", "localhost/cli:2"])
        let saved = directory.appendingPathComponent("saved.tar")
        try await run(["image", "save", "--root", root, "-o", saved.path, "localhost/cli:2"])
        try await run(["image", "rm", "--root", root, "localhost/cli:1"])

        let store = try ImageStore(dataDirectory: URL(fileURLWithPath: root))
        #expect(try store.records().compactMap { $0.reference?.description } == ["localhost/cli:2"])
        #expect(FileManager.default.fileExists(atPath: saved.path))
        await #expect(throws: (any Error).self) { try await run(["image", "rm", "--root", root, "localhost/cli:1"]) }
    }

    @Test("bad arguments are refused before anything runs", arguments: [
        ["image", "pull", "--policy", "sometimes", "redis"],
        ["image", "pull", "--platform", "linux", "redis"],
        ["image", "pull"],
        ["image", "save", "-o", "/tmp/x.tar"],
    ])
    func validation(arguments: [String]) {
        #expect(throws: (any Error).self) { try BerthCommand.parseAsRoot(arguments) }
    }

    @Test("sizes print as docker prints them", arguments: [
        (Int64(512), "512B"), (1_500, "1.50kB"), (2_050_000, "2.05MB"), (123_400_000, "123.4MB"), (5_000_000_000, "5.00GB"),
    ])
    func sizes(bytes: Int64, text: String) {
        #expect(ImageFormat.size(bytes) == text)
    }
}
