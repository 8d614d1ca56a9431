import Foundation
import OCISpec

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Blobs by digest and unpacked layers by diff ID, laid out as an OCI image layout
/// (`oci-layout`, `blobs/sha256/…`) plus `layers/sha256/<diffID>/` directories.
///
/// A value type with no in-memory state: the file system is the shared state, and it is shared
/// with other `berth` processes, so correctness rests on rename being atomic rather than on an
/// actor. A blob or a layer directory appears under its final name only once it is complete and
/// verified; partial downloads live in `ingest/` and are resumed from there.
public struct ContentStore: Sendable, Hashable {
    /// The `images` directory inside the data directory.
    public let root: URL
    /// How layers are unpacked and unpacked trees removed (see `UnpackIsolation`).
    public let isolation: UnpackIsolation

    public init(root: URL, isolation: UnpackIsolation = .current()) throws(ImageError) {
        self.root = root
        self.isolation = isolation
        for directory in [blobsDirectory, ingestDirectory, layersDirectory, scratchDirectory] {
            try FileSystem.makeDirectory(directory)
        }
        let layout = root.appendingPathComponent("oci-layout")
        if !FileSystem.exists(layout) {
            try FileSystem.writeAtomically(Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8), to: layout)
        }
    }

    var blobsDirectory: URL { root.appendingPathComponent("blobs/sha256", isDirectory: true) }
    var ingestDirectory: URL { root.appendingPathComponent("ingest", isDirectory: true) }
    var layersDirectory: URL { root.appendingPathComponent("layers/sha256", isDirectory: true) }
    /// Temporary unpack and extraction directories; emptied of stale entries by prune.
    var scratchDirectory: URL { root.appendingPathComponent("tmp", isDirectory: true) }

    /// Where the blob with `digest` lives (whether or not it is present).
    public func blobURL(_ digest: Digest) -> URL {
        root.appendingPathComponent("blobs/\(digest.algorithm.rawValue)/\(digest.encoded)")
    }

    public func hasBlob(_ digest: Digest) -> Bool { FileSystem.exists(blobURL(digest)) }

    /// Reads a whole blob. Meant for manifests and configs; layers are streamed, never read whole.
    public func readBlob(_ digest: Digest) throws(ImageError) -> Data {
        guard hasBlob(digest) else { throw ImageError(.imageNotFound, digest.description, "blob is not in the store") }
        return try FileSystem.read(blobURL(digest))
    }

    /// Decodes a JSON blob.
    public func readJSON<T: Decodable>(_ type: T.Type, _ digest: Digest) throws(ImageError) -> T {
        let data = try readBlob(digest)
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw ImageError(.invalidContent, digest.description, "not a valid \(type): \(error)")
        }
    }

    /// Stores a small blob held in memory and returns its descriptor.
    @discardableResult
    public func put(_ data: Data, mediaType: MediaType) throws(ImageError) -> Descriptor {
        let digest = ContentStore.digest(of: data)
        if !hasBlob(digest) { try FileSystem.writeAtomically(data, to: blobURL(digest)) }
        return Descriptor(mediaType: mediaType, digest: digest, size: Int64(data.count))
    }

    /// Opens a writer for a blob. With `expected`, the partial file is keyed by the digest so an
    /// interrupted transfer resumes where it stopped; without, the digest is learnt on commit.
    public func writer(expected: Descriptor?) throws(ImageError) -> BlobWriter {
        let name = expected.map { "\($0.digest.encoded).partial" } ?? "\(UUID().uuidString).anonymous"
        return try BlobWriter(store: self, partial: ingestDirectory.appendingPathComponent(name), expected: expected)
    }

    /// Copies a file into the store, verifying it against `expected` when given.
    @discardableResult
    public func ingest(file: URL, expected: Descriptor? = nil, mediaType: MediaType) throws(ImageError) -> Descriptor {
        if let expected, hasBlob(expected.digest) { return expected }
        let writer = try writer(expected: expected)
        if let expected, writer.isAlreadyStored { return expected }
        if writer.offset > 0 { writer.restart() }  // a local copy is cheap: never trust a partial
        let fd = open(file.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .io(file.path, "open", errno: errno) }
        defer { close(fd) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = read(fd, buffer.baseAddress, buffer.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw .io(file.path, "read", errno: errno)
            }
            if count == 0 { break }
            try writer.write(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
        var descriptor = try writer.commit()
        descriptor.mediaType = expected?.mediaType ?? mediaType
        return descriptor
    }

    /// Every blob digest present.
    public func allBlobs() -> [Digest] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: blobsDirectory.path)) ?? []
        return names.compactMap { try? Digest(algorithm: .sha256, encoded: $0) }.sorted()
    }

    public func removeBlob(_ digest: Digest) { FileSystem.remove(blobURL(digest)) }

    // MARK: layers

    /// The unpacked directory of the layer whose uncompressed tar has `diffID`; an overlay lower dir.
    public func layerURL(_ diffID: Digest) -> URL {
        layersDirectory.appendingPathComponent(diffID.encoded, isDirectory: true)
    }

    public func hasLayer(_ diffID: Digest) -> Bool { FileSystem.exists(layerURL(diffID)) }

    public func allLayers() -> [Digest] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: layersDirectory.path)) ?? []
        return names.compactMap { try? Digest(algorithm: .sha256, encoded: $0) }.sorted()
    }

    public func removeLayer(_ diffID: Digest) {
        removeTree(layerURL(diffID))
    }

    /// A fresh private directory under `tmp/`, for unpacking before publishing.
    func scratch(_ purpose: String) throws(ImageError) -> URL {
        let url = scratchDirectory.appendingPathComponent("\(purpose)-\(UUID().uuidString)", isDirectory: true)
        try FileSystem.makeDirectory(url)
        return url
    }

    func discardScratch(_ url: URL) {
        removeTree(url)
    }

    /// Removes an unpacked tree. Layers may contain read-only directories: they are made writable
    /// first. A tree unpacked in a user namespace may hold directories owned by subordinate IDs,
    /// which only root of such a namespace can empty: what is left goes through the helper.
    /// Best-effort, as `FileSystem.remove`: a leftover is collected by the next prune.
    private func removeTree(_ url: URL) {
        makeTreeWritable(url)
        FileSystem.remove(url)
        if case .userNamespace(let helper) = isolation, FileSystem.exists(url) {
            try? helper.removeTree(url)
        }
    }

    private func makeTreeWritable(_ url: URL) {
        guard let walker = FileManager.default.enumerator(atPath: url.path) else { return }
        for case let relative as String in walker {
            let path = url.appendingPathComponent(relative).path
            var info = stat()
            if lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR { chmod(path, 0o755) }
        }
    }

    /// SHA-256 of an in-memory buffer.
    public static func digest(of data: Data) -> Digest {
        var hasher = StreamingSHA256()
        data.withUnsafeBytes { hasher.update($0) }
        return hasher.finalize()
    }
}
