import Foundation
import OCISpec

/// What a pull reports as it goes; the CLI turns these into progress bars or plain lines.
public enum PullEvent: Sendable, Hashable {
    case resolving(ImageReference)
    case skipped(ImageReference, reason: String)
    case resolved(ImageReference, manifest: Digest, layers: [Descriptor])
    case layerCached(ImageReference, Digest)
    case layerProgress(ImageReference, Digest, received: Int64, total: Int64)
    case layerDownloaded(ImageReference, Digest)
    case layerUnpacked(ImageReference, Digest, UnpackReport)
    case pulled(ImageReference, id: Digest)
    case failed(ImageReference, ImageError)
}

/// The outcome for one reference of a multi-image pull.
public struct PullResult: Sendable, Hashable {
    public var reference: ImageReference
    public var record: ImageRecord?
    public var error: ImageError?
}

/// Pulls images from registries into an `ImageStore`, honouring a pull policy, resolving indexes
/// to one platform, downloading layers in parallel (each unpacked as soon as it arrives) and never
/// fetching a blob the store already has.
///
/// Compose's `berth pull` calls `pull(_:policy:)` with the images of the selected services.
public struct ImagePuller: Sendable {
    public var store: ImageStore
    public var platform: Platform
    public var registries: RegistriesConfiguration
    public var authFile: AuthFile
    /// Layers downloaded at the same time, per image.
    public var parallelLayers: Int
    public var unpacker: LayerUnpacker

    public init(store: ImageStore, platform: Platform = .current, registries: RegistriesConfiguration = .load(),
                authFile: AuthFile = AuthFile(), parallelLayers: Int = 4, unpacker: LayerUnpacker = LayerUnpacker())
    {
        self.store = store
        self.platform = platform
        self.registries = registries
        self.authFile = authFile
        self.parallelLayers = parallelLayers
        self.unpacker = unpacker
    }

    /// Resolves a user-typed name: fully qualified names as they are; short names against the
    /// first `unqualified-search-registries` entry (Docker Hub when none is configured).
    public func reference(for text: String) throws(ImageError) -> ImageReference {
        let registry = ImageReference.hasExplicitRegistry(text) ? ImageReference.dockerHub
            : registries.unqualifiedSearchRegistries.first ?? ImageReference.dockerHub
        do {
            return try ImageReference(parsing: text, defaultRegistry: registry)
        } catch {
            throw ImageError(.invalidReference, text, error.message)
        }
    }

    /// Pulls every reference that `policy` says needs pulling; failures are collected per image,
    /// not thrown, so `--ignore-pull-failures` can decide what to do with them.
    public func pull(_ references: [ImageReference], policy: PullPolicy = .always,
                     events: @escaping @Sendable (PullEvent) -> Void = { _ in }) async -> [PullResult]
    {
        await withTaskGroup(of: PullResult.self) { group in
            for reference in references {
                group.addTask {
                    let local = try? store.resolve(reference.description)
                    guard policy.shouldPull(localPulledAt: local?.pulledAt, present: local != nil) else {
                        if local == nil, policy == .never {
                            let error = ImageError(.imageNotFound, reference.description,
                                                   "image not found locally and the pull policy is never")
                            events(.failed(reference, error))
                            return PullResult(reference: reference, record: nil, error: error)
                        }
                        events(.skipped(reference, reason: local == nil ? "pull policy \(policy)" : "present locally"))
                        return PullResult(reference: reference, record: local, error: nil)
                    }
                    do throws(ImageError) {
                        let record = try await pull(reference, events: events)
                        return PullResult(reference: reference, record: record, error: nil)
                    } catch {
                        events(.failed(reference, error))
                        return PullResult(reference: reference, record: nil, error: error)
                    }
                }
            }
            var results: [PullResult] = []
            for await result in group { results.append(result) }
            return references.compactMap { reference in results.first { $0.reference == reference } }
        }
    }

    /// Pulls one image and names it; returns its record.
    /// Holds the store lock shared from the first blob to the name, so a prune cannot take what
    /// is downloaded before it is named.
    public func pull(_ reference: ImageReference, events: @escaping @Sendable (PullEvent) -> Void = { _ in }) async throws(ImageError) -> ImageRecord {
        try await store.withSharedStoreLock { () async throws(ImageError) in try await pullLocked(reference, events: events) }
    }

    private func pullLocked(_ reference: ImageReference, events: @escaping @Sendable (PullEvent) -> Void) async throws(ImageError) -> ImageRecord {
        events(.resolving(reference))
        let client = RegistryClient(endpoint: RegistryEndpoint(registry: reference.registry, configuration: registries),
                                    credential: authFile.credential(for: reference.registry))
        var fetched = try await client.manifest(reference)
        if fetched.mediaType.isIndex {
            try store.content.putVerified(fetched.data, digest: fetched.digest)
            let index = try decode(ImageIndex.self, fetched.data, reference)
            guard let chosen = index.manifest(for: platform) else {
                let available = index.manifests.compactMap { $0.platform?.description }.joined(separator: ", ")
                throw ImageError(.noMatchingPlatform, reference.description, "no image for \(platform); the index has \(available)")
            }
            fetched = try await client.manifest(reference.withDigest(chosen.digest))
            guard fetched.mediaType.isManifest else {
                throw ImageError(.unsupportedMediaType, reference.description, "index entry is \(fetched.mediaType), not a manifest")
            }
        }
        let manifest = try decode(ImageManifest.self, fetched.data, reference)
        for layer in manifest.layers where layer.mediaType.layerCompression == nil {
            throw ImageError(.unsupportedMediaType, layer.digest.description,
                             "layer media type \(layer.mediaType) is not a tar, gzip or zstd layer")
        }
        events(.resolved(reference, manifest: fetched.digest, layers: manifest.layers))

        _ = try await client.fetchBlob(repository: reference.repository, manifest.config, into: store.content)
        let config = try store.content.readJSON(ImageConfig.self, manifest.config.digest)
        guard config.rootfs.diffIDs.count == manifest.layers.count else {
            throw ImageError(.invalidContent, reference.description,
                             "manifest has \(manifest.layers.count) layers, config lists \(config.rootfs.diffIDs.count)")
        }
        // An image may list the same layer twice (identical build steps); fetch each once.
        var seen = Set<Digest>()
        let unique = zip(manifest.layers, config.rootfs.diffIDs).filter { seen.insert($0.0.digest).inserted }
        try await fetchAndUnpack(unique, client: client, reference: reference, events: events)

        // Stored last: the manifest's presence means everything it points to is here.
        try store.content.putVerified(fetched.data, digest: fetched.digest)
        let descriptor = Descriptor(mediaType: fetched.mediaType, digest: fetched.digest, size: Int64(fetched.data.count))
        let name = reference.tag == nil ? reference : ImageReference(registry: reference.registry, repository: reference.repository, tag: reference.tag)
        try store.tag(descriptor, as: name, pulledAt: Date())
        events(.pulled(reference, id: manifest.config.digest))
        return ImageRecord(reference: name, manifest: descriptor)
    }

    private func fetchAndUnpack(_ layers: [(Descriptor, Digest)], client: RegistryClient, reference: ImageReference,
                                events: @escaping @Sendable (PullEvent) -> Void) async throws(ImageError)
    {
        let store = self.store, unpacker = self.unpacker, width = max(1, parallelLayers)
        let outcome: ImageError? = await withTaskGroup(of: ImageError?.self) { group in
            var next = 0
            func start() {
                guard next < layers.count else { return }
                let (layer, diffID) = layers[next]
                next += 1
                group.addTask {
                    do throws(ImageError) {
                        if store.content.hasLayer(diffID) {
                            events(.layerCached(reference, layer.digest))
                            return nil
                        }
                        if store.content.hasBlob(layer.digest) {
                            events(.layerCached(reference, layer.digest))
                        } else {
                            _ = try await client.fetchBlob(repository: reference.repository, layer, into: store.content) { received in
                                events(.layerProgress(reference, layer.digest, received: received, total: layer.size))
                            }
                            events(.layerDownloaded(reference, layer.digest))
                        }
                        let unpacked = try await ImagePuller.onOwnThread { () throws(ImageError) in
                            try store.unpackLayer(layer, diffID: diffID, unpacker: unpacker)
                        }
                        if let report = unpacked {
                            events(.layerUnpacked(reference, layer.digest, report))
                        }
                        return nil
                    } catch {
                        return error
                    }
                }
            }
            for _ in 0..<width { start() }
            var firstError: ImageError?
            for await result in group {
                if let result, firstError == nil {
                    firstError = result
                    group.cancelAll()
                }
                if firstError == nil { start() }
            }
            return firstError
        }
        if let outcome { throw outcome }
    }

    /// Runs blocking work (libarchive extraction, seconds of file-system calls) on a thread of its
    /// own, so it never occupies one of the few threads of Swift's cooperative pool.
    static func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws(ImageError) -> T) async throws(ImageError) -> T {
        let result: Result<T, ImageError> = await withCheckedContinuation { continuation in
            Thread {
                do throws(ImageError) {
                    continuation.resume(returning: .success(try body()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }.start()
        }
        return try result.get()
    }

    private func decode<T: Decodable>(_ type: T.Type, _ data: Data, _ reference: ImageReference) throws(ImageError) -> T {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw ImageError(.invalidContent, reference.description, "registry sent a \(type) that does not decode: \(error)")
        }
    }
}

extension ContentStore {
    /// Stores an in-memory blob whose digest was already computed by the caller.
    func putVerified(_ data: Data, digest: Digest) throws(ImageError) {
        guard !hasBlob(digest) else { return }
        guard ContentStore.digest(of: data) == digest else {
            throw ImageError(.digestMismatch, digest.description, "content does not hash to its digest")
        }
        try FileSystem.writeAtomically(data, to: blobURL(digest))
    }
}
