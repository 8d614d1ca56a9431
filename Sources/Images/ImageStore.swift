import Foundation
import OCISpec

/// One named (or dangling) image in the store: the platform manifest a name points to.
public struct ImageRecord: Sendable, Hashable, Codable {
    /// nil for an image that lost its last name (`<none>` in listings) but is still stored.
    public var reference: ImageReference?
    /// The single-platform manifest.
    public var manifest: Descriptor
    /// When the name was last pulled from a registry (drives `daily`/`weekly` pull policies).
    public var pulledAt: Date?

    public init(reference: ImageReference?, manifest: Descriptor, pulledAt: Date? = nil) {
        self.reference = reference
        self.manifest = manifest
        self.pulledAt = pulledAt
    }

    static let pulledAnnotation = "dev.berth.image.pulled"
}

/// An image with its manifest and config read, as `inspect`, `ls` and the runtime need it.
public struct ImageDetails: Sendable, Hashable, Codable {
    public var record: ImageRecord
    public var manifest: ImageManifest
    public var config: ImageConfig
    /// The image ID, as docker and podman show it: the config digest.
    public var id: Digest { manifest.config.digest }
    /// Compressed size: config plus layer blobs.
    public var size: Int64 { manifest.config.size + manifest.layers.reduce(0) { $0 + $1.size } }
}

/// What `prune` removed.
public struct PruneReport: Sendable, Hashable, Codable {
    public var removedImages: [String] = []
    public var removedBlobs = 0
    public var removedLayers = 0
    /// Leftovers of interrupted pulls and imports swept from `ingest/` and `tmp/`.
    public var temporaryFiles = TemporarySweep()
    /// Everything freed, temporary files included.
    public var reclaimedBytes: Int64 = 0
}

/// The names → manifests index over a `ContentStore`. On disk it is the `index.json` of the OCI
/// layout (each entry annotated with `org.opencontainers.image.ref.name` = the full name), so the
/// store is itself a valid `oci:` directory that skopeo and podman can read.
public struct ImageStore: Sendable {
    public let content: ContentStore
    private var indexURL: URL { content.root.appendingPathComponent("index.json") }
    private var lock: FileLock { FileLock(url: content.root.appendingPathComponent("index.lock")) }
    /// Only a name makes content live, and a pull names its image last, once every blob is in: a
    /// prune in between would see the new blobs and layers as garbage. So what adds content
    /// (pull, load, import, unpack) holds this lock shared for its whole length, and what deletes
    /// content (prune, rm) holds it exclusively. It is an flock: a killed holder releases it.
    private var storeLock: FileLock { FileLock(url: content.root.appendingPathComponent("store.lock")) }

    /// Opens (creating if needed) the store under `dataDirectory/images`. `isolation` says how
    /// layers are unpacked; by default in a user namespace when rootless (see `UnpackIsolation`).
    public init(dataDirectory: URL, isolation: UnpackIsolation = .current()) throws(ImageError) {
        content = try ContentStore(root: dataDirectory.appendingPathComponent("images", isDirectory: true), isolation: isolation)
    }

    // MARK: the store lock

    /// Runs `body` holding the store lock, shared (adding content) or exclusive (deleting it).
    public func withStoreLock<T>(exclusive: Bool, _ body: () throws(ImageError) -> T) throws(ImageError) -> T {
        var lock = storeLock
        lock.shared = !exclusive
        return try lock.withLock(body)
    }

    /// `withStoreLock(exclusive: false)` for a pull: the lock is taken on a thread of its own, as
    /// a running prune may keep it for a while and the cooperative pool must not wait on it.
    public func withSharedStoreLock<T: Sendable>(_ body: () async throws(ImageError) -> T) async throws(ImageError) -> T {
        var lock = storeLock
        lock.shared = true
        let held = lock
        let fd = try await ImagePuller.onOwnThread { () throws(ImageError) in try held.acquire() }
        defer { close(fd) }
        return try await body()
    }

    // MARK: reading

    public func records() throws(ImageError) -> [ImageRecord] {
        guard FileSystem.exists(indexURL) else { return [] }
        let data = try FileSystem.read(indexURL)
        let index: ImageIndex
        do {
            index = try JSONDecoder().decode(ImageIndex.self, from: data)
        } catch {
            throw ImageError(.invalidContent, indexURL.path, "image index is damaged (\(error)); restore it or remove it and pull again")
        }
        return index.manifests.map { entry in
            var descriptor = entry
            let name = descriptor.annotations?.removeValue(forKey: Descriptor.refNameAnnotation)
            let pulled = descriptor.annotations?.removeValue(forKey: ImageRecord.pulledAnnotation)
            if descriptor.annotations?.isEmpty ?? false { descriptor.annotations = nil }
            return ImageRecord(reference: name.flatMap { try? ImageReference(parsing: $0) }, manifest: descriptor,
                               pulledAt: pulled.flatMap { try? Date($0, strategy: .iso8601) })
        }
    }

    /// Finds an image by name, by full or abbreviated ID (config digest), or by manifest digest.
    public func resolve(_ text: String) throws(ImageError) -> ImageRecord {
        let all = try records()
        if let reference = try? ImageReference(parsing: text),
           let match = all.first(where: { $0.reference == reference })
        {
            return match
        }
        let hex = text.hasPrefix("sha256:") ? String(text.dropFirst(7)) : text
        if hex.count >= 3, hex.allSatisfy(\.isHexDigit) {
            let matches = all.filter { record in
                record.manifest.digest.encoded.hasPrefix(hex)
                    || ((try? details(record))?.id.encoded.hasPrefix(hex) ?? false)
            }
            if let first = matches.first,
               matches.allSatisfy({ $0.manifest.digest == first.manifest.digest })
            {
                return first
            }
        }
        throw ImageError(.imageNotFound, text, "image not found: \(text) (see `berth images`, or pull it)")
    }

    public func details(_ record: ImageRecord) throws(ImageError) -> ImageDetails {
        let manifest = try content.readJSON(ImageManifest.self, record.manifest.digest)
        let config = try content.readJSON(ImageConfig.self, manifest.config.digest)
        return ImageDetails(record: record, manifest: manifest, config: config)
    }

    // MARK: names

    /// Points `reference` at `manifest`, replacing whatever it pointed to. The image that loses
    /// its last name stays stored as dangling until pruned.
    public func tag(_ manifest: Descriptor, as reference: ImageReference?, pulledAt: Date? = nil) throws(ImageError) {
        try mutate { records in
            if let reference {
                if let previous = records.firstIndex(where: { $0.reference == reference }) {
                    let old = records.remove(at: previous)
                    if !records.contains(where: { $0.manifest.digest == old.manifest.digest }) {
                        records.append(ImageRecord(reference: nil, manifest: old.manifest))
                    }
                }
                records.removeAll { $0.reference == nil && $0.manifest.digest == manifest.digest }
            } else if records.contains(where: { $0.manifest.digest == manifest.digest }) {
                return  // already stored under some name
            }
            records.append(ImageRecord(reference: reference, manifest: manifest, pulledAt: pulledAt))
        }
    }

    /// Removes a name, or every name of an image given by ID. An image left without names is gone
    /// from the index and its blobs go at the next prune. `inUse` holds the IDs of images that
    /// containers use: removing one of those needs `force`.
    @discardableResult
    public func remove(_ text: String, force: Bool = false, inUse: Set<Digest> = []) throws(ImageError) -> [String] {
        try remove(text, force: force, usedBy: Dictionary(uniqueKeysWithValues: inUse.map { ($0, [String]()) }))
    }

    /// `remove` given the containers that use each image ID, so a refusal names them.
    @discardableResult
    public func remove(_ text: String, force: Bool = false, usedBy: [Digest: [String]]) throws(ImageError) -> [String] {
        try withStoreLock(exclusive: true) { () throws(ImageError) in try removeLocked(text, force: force, usedBy: usedBy) }
    }

    private func removeLocked(_ text: String, force: Bool, usedBy: [Digest: [String]]) throws(ImageError) -> [String] {
        let record = try resolve(text)
        let id = try details(record).id
        var removed: [String] = []
        let byName = (try? ImageReference(parsing: text)).map { $0 == record.reference } ?? false
        try mutate { records throws(ImageError) in
            let sameImage = records.filter { $0.manifest.digest == record.manifest.digest }
            let removesImage = !byName || sameImage.count == 1
            if removesImage, let containers = usedBy[id], !force {
                let who = containers.isEmpty ? "a container" : "container " + containers.sorted().joined(separator: ", ")
                throw ImageError(.inUse, text, "image \(text) (ID \(id.shortID)) is used by \(who): remove the container first, or use --force")
            }
            if byName {
                records.removeAll { $0.reference == record.reference }
                removed = [record.reference?.description ?? id.description]
            } else {
                records.removeAll { $0.manifest.digest == record.manifest.digest }
                removed = sameImage.map { $0.reference?.description ?? id.description }
            }
        }
        return removed
    }

    private func mutate(_ body: (inout [ImageRecord]) throws(ImageError) -> Void) throws(ImageError) {
        try lock.withLock { () throws(ImageError) in
            var all = try records()
            try body(&all)
            let manifests = all.map { record in
                var descriptor = record.manifest
                var annotations = descriptor.annotations ?? [:]
                annotations[Descriptor.refNameAnnotation] = record.reference?.description
                annotations[ImageRecord.pulledAnnotation] = record.pulledAt.map { $0.formatted(.iso8601) }
                descriptor.annotations = annotations.isEmpty ? nil : annotations
                descriptor.platform = nil
                return descriptor
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let data: Data
            do {
                data = try encoder.encode(ImageIndex(manifests: manifests))
            } catch {
                throw ImageError(.io, indexURL.path, "cannot encode the image index: \(error)")
            }
            try FileSystem.writeAtomically(data, to: indexURL)
        }
    }

    // MARK: layers

    /// Unpacks any layer of the image not yet unpacked and returns the layer directories, base
    /// first: the overlay lower dirs (overlay wants them top first; reverse them there).
    public func unpack(_ details: ImageDetails, unpacker: LayerUnpacker = LayerUnpacker()) throws(ImageError) -> [URL] {
        try withStoreLock(exclusive: false) { () throws(ImageError) in try unpackLocked(details, unpacker: unpacker) }
    }

    /// Unpacks the layers of `record` not yet unpacked, as a registry pull does, so an imported
    /// image is ready to run; returns what each unpack reported (notes for the user).
    @discardableResult
    public func unpackLayers(of record: ImageRecord, unpacker: LayerUnpacker = LayerUnpacker()) throws(ImageError) -> [UnpackReport] {
        let image = try details(record)
        return try withStoreLock(exclusive: false) { () throws(ImageError) in
            var reports: [UnpackReport] = []
            for (layer, diffID) in zip(image.manifest.layers, image.config.rootfs.diffIDs) {
                if let report = try unpackLayer(layer, diffID: diffID, unpacker: unpacker) { reports.append(report) }
            }
            return reports
        }
    }

    private func unpackLocked(_ details: ImageDetails, unpacker: LayerUnpacker) throws(ImageError) -> [URL] {
        let diffIDs = details.config.rootfs.diffIDs
        guard diffIDs.count == details.manifest.layers.count else {
            throw ImageError(.invalidContent, details.record.manifest.digest.description,
                             "manifest has \(details.manifest.layers.count) layers, config lists \(diffIDs.count) diff IDs")
        }
        var directories: [URL] = []
        for (layer, diffID) in zip(details.manifest.layers, diffIDs) {
            try unpackLayer(layer, diffID: diffID, unpacker: unpacker)
            directories.append(content.layerURL(diffID))
        }
        return directories
    }

    /// Unpacks one layer blob into `layers/sha256/<diffID>` unless it is already there. The
    /// directory appears only after the whole layer is written and its diff ID verified.
    @discardableResult
    public func unpackLayer(_ layer: Descriptor, diffID: Digest, unpacker: LayerUnpacker = LayerUnpacker()) throws(ImageError) -> UnpackReport? {
        if content.hasLayer(diffID) { return nil }
        guard layer.mediaType.layerCompression != nil else {
            throw ImageError(.unsupportedMediaType, layer.digest.description,
                             "layer media type \(layer.mediaType) is not a tar, gzip or zstd layer")
        }
        let scratch = try content.scratch("unpack")
        do throws(ImageError) {
            let report = try unpackIsolated(unpacker, archive: content.blobURL(layer.digest), into: scratch, diffID: diffID)
            do throws(ImageError) {
                try FileSystem.publish(scratch, at: content.layerURL(diffID))
            } catch {
                // Another pull (task or process) published the same layer first: theirs is as good.
                guard content.hasLayer(diffID) else { throw error }
                content.discardScratch(scratch)
            }
            return report
        } catch {
            content.discardScratch(scratch)
            throw error
        }
    }

    /// Runs `unpacker` where the store's isolation says: here, or in the user namespace containers
    /// will see the layer from, where the helper always restores owners (the point of going there)
    /// and takes only the whiteout mode from `unpacker`.
    private func unpackIsolated(_ unpacker: LayerUnpacker, archive: URL, into scratch: URL, diffID: Digest) throws(ImageError) -> UnpackReport {
        switch content.isolation {
        case .userNamespace(let helper):
            return try helper.unpack(archive: archive, into: scratch, expectedDiffID: diffID.description, mode: unpacker.mode)
        case .inProcess(warning: nil):
            return try unpacker.unpack(archive: archive, into: scratch, expectedDiffID: diffID)
        case .inProcess(let warning?):
            var report = try unpacker.unpack(archive: archive, into: scratch, expectedDiffID: diffID)
            report.warnings.append(warning)
            return report
        }
    }

    // MARK: garbage

    /// Removes dangling images (every unused image with `all`), then every blob and layer directory
    /// that no remaining image references, then temporary files left alone for
    /// `temporaryFilesOlderThan` (see `ContentStore.sweepTemporaryFiles`). `inUse` are image IDs
    /// containers use: never removed.
    public func prune(all: Bool = false, inUse: Set<Digest> = [],
                      temporaryFilesOlderThan age: Duration = ContentStore.temporaryFileLifetime) throws(ImageError) -> PruneReport
    {
        try withStoreLock(exclusive: true) { () throws(ImageError) in
            try pruneLocked(all: all, inUse: inUse, temporaryFilesOlderThan: age)
        }
    }

    private func pruneLocked(all: Bool, inUse: Set<Digest>, temporaryFilesOlderThan age: Duration) throws(ImageError) -> PruneReport {
        var report = PruneReport()
        var kept: [ImageRecord] = []
        for record in try records() {
            let id = try? details(record).id
            let used = id.map { inUse.contains($0) } ?? false
            if !used && (record.reference == nil || all) {
                report.removedImages.append(record.reference?.description ?? id?.description ?? record.manifest.digest.description)
            } else {
                kept.append(record)
            }
        }
        try mutate { records in
            records.removeAll { record in !kept.contains(record) }
        }
        var liveBlobs = Set<Digest>()
        var liveLayers = Set<Digest>()
        for record in kept {
            liveBlobs.insert(record.manifest.digest)
            guard let image = try? details(record) else { continue }
            liveBlobs.insert(image.manifest.config.digest)
            liveBlobs.formUnion(image.manifest.layers.map(\.digest))
            liveLayers.formUnion(image.config.rootfs.diffIDs)
        }
        // An image removed with --force while a container still uses it has no name left, but its
        // layers are that container's lower dirs, and its config says which they are.
        for id in inUse where !liveBlobs.contains(id) {
            guard let config = try? content.readJSON(ImageConfig.self, id) else { continue }
            liveBlobs.insert(id)
            liveLayers.formUnion(config.rootfs.diffIDs)
        }
        for blob in content.allBlobs() where !liveBlobs.contains(blob) {
            report.reclaimedBytes += FileSystem.diskUsage(content.blobURL(blob))
            content.removeBlob(blob)
            report.removedBlobs += 1
        }
        for layer in content.allLayers() where !liveLayers.contains(layer) {
            report.reclaimedBytes += FileSystem.diskUsage(content.layerURL(layer))
            content.removeLayer(layer)
            report.removedLayers += 1
        }
        report.temporaryFiles = content.sweepTemporaryFiles(olderThan: age)
        report.reclaimedBytes += report.temporaryFiles.bytes
        return report
    }
}

/// Space the store takes, for `system df`.
public struct DiskUsage: Sendable, Hashable, Codable {
    public var images = 0
    public var namedImages = 0
    public var blobBytes: Int64 = 0
    public var reclaimableBlobBytes: Int64 = 0
    public var layers = 0
    public var layersInUse = 0
    public var layerBytes: Int64 = 0
    public var reclaimableLayerBytes: Int64 = 0
    /// Entries in `ingest/` and `tmp/` (partial downloads, unpacks in progress or abandoned).
    public var temporaryEntries = 0
    public var temporaryBytes: Int64 = 0
    /// Those a prune would sweep now.
    public var reclaimableTemporaryEntries = 0
    public var reclaimableTemporaryBytes: Int64 = 0
}

extension ImageStore {
    /// Measures blobs and layer directories, and how much of each no named image references, and
    /// the temporary areas with what a prune would sweep from them.
    public func diskUsage(temporaryFilesOlderThan age: Duration = ContentStore.temporaryFileLifetime) throws(ImageError) -> DiskUsage {
        var usage = DiskUsage()
        let all = try records()
        usage.images = Set(all.map(\.manifest.digest)).count
        usage.namedImages = Set(all.filter { $0.reference != nil }.map(\.manifest.digest)).count
        var liveBlobs = Set<Digest>(), liveLayers = Set<Digest>()
        for record in all where record.reference != nil {
            liveBlobs.insert(record.manifest.digest)
            guard let image = try? details(record) else { continue }
            liveBlobs.insert(image.manifest.config.digest)
            liveBlobs.formUnion(image.manifest.layers.map(\.digest))
            liveLayers.formUnion(image.config.rootfs.diffIDs)
        }
        for blob in content.allBlobs() {
            let size = FileSystem.diskUsage(content.blobURL(blob))
            usage.blobBytes += size
            if !liveBlobs.contains(blob) { usage.reclaimableBlobBytes += size }
        }
        for layer in content.allLayers() {
            let size = FileSystem.diskUsage(content.layerURL(layer))
            usage.layers += 1
            usage.layerBytes += size
            if liveLayers.contains(layer) { usage.layersInUse += 1 } else { usage.reclaimableLayerBytes += size }
        }
        let temporary = content.temporaryUsage()
        let stale = content.sweepTemporaryFiles(olderThan: age, removing: false)
        usage.temporaryEntries = temporary.entries
        usage.temporaryBytes = temporary.bytes
        usage.reclaimableTemporaryEntries = stale.entries
        usage.reclaimableTemporaryBytes = stale.bytes
        return usage
    }
}
