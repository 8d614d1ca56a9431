import Foundation
import OCISpec
@testable import Images

/// A directory under /tmp removed when the test ends.
final class TemporaryDirectory {
    let url: URL

    init(_ label: String = "berth-images-test") throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit {
        // Layers may hold read-only directories; open them up so the tree can be removed.
        if let walker = FileManager.default.enumerator(atPath: url.path) {
            for case let path as String in walker { chmod(url.appendingPathComponent(path).path, 0o755) }
        }
        try? FileManager.default.removeItem(at: url)
    }

    func path(_ relative: String) -> URL { url.appendingPathComponent(relative) }
}

/// One entry of a test layer.
enum TarEntry {
    case directory(String)
    case file(String, String, mode: UInt32 = 0o644)
    case symlink(String, to: String)
    case hardLink(String, to: String)
    case device(String)
}

func writeTar(_ entries: [TarEntry], to url: URL, compression: TarWriter.Compression = .none) throws {
    let writer = try TarWriter(path: url, compression: compression)
    for entry in entries {
        switch entry {
        case .directory(let name): try writer.addDirectory(name)
        case .file(let name, let text, let mode): try writer.addFile(name, contents: Data(text.utf8), mode: mode)
        case .symlink(let name, let target): try writer.addSymlink(name, target: target)
        case .hardLink(let name, let target): try writer.addHardLink(name, target: target)
        case .device(let name): try writer.addCharacterDevice(name, major: 1, minor: 3)
        }
    }
    try writer.close()
}

func sha256(of url: URL) throws -> Digest {
    ContentStore.digest(of: try Data(contentsOf: url))
}

/// Builds an image in a store from layer entry lists, the way a registry would serve it.
struct FixtureImageBuilder {
    let store: ImageStore
    let scratch: URL

    @discardableResult
    func build(name: String?, layers: [([TarEntry], TarWriter.Compression)], cmd: [String] = ["sh"]) throws -> ImageRecord {
        var descriptors: [Descriptor] = []
        var diffIDs: [Digest] = []
        for (number, (entries, compression)) in layers.enumerated() {
            let plain = scratch.appendingPathComponent("layer-\(UUID().uuidString).tar")
            try writeTar(entries, to: plain)
            diffIDs.append(try sha256(of: plain))
            let packed = scratch.appendingPathComponent("layer-\(number)-\(UUID().uuidString)")
            try writeTar(entries, to: packed, compression: compression)
            let type: MediaType = switch compression {
            case .none: .ociLayerTar
            case .gzip: .ociLayerGzip
            case .zstd: .ociLayerZstd
            }
            descriptors.append(try store.content.ingest(file: packed, mediaType: type))
        }
        let config = ImageConfig(architecture: Platform.current.architecture, os: "linux",
                                 config: ContainerConfig(env: ["PATH=/bin"], cmd: cmd),
                                 rootfs: .init(diffIDs: diffIDs),
                                 history: diffIDs.map { _ in .init(created: "2026-01-01T00:00:00Z", createdBy: "ADD layer") },
                                 created: "2026-01-01T00:00:00Z")
        let configDescriptor = try store.content.put(try JSONEncoder().encode(config), mediaType: .ociConfig)
        let manifest = ImageManifest(config: configDescriptor, layers: descriptors)
        let manifestDescriptor = try store.content.put(try JSONEncoder().encode(manifest), mediaType: .ociManifest)
        let reference = try name.map { try ImageReference(parsing: $0) }
        try store.tag(manifestDescriptor, as: reference)
        return ImageRecord(reference: reference, manifest: manifestDescriptor)
    }
}
