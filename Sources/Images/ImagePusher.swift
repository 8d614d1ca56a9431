import Foundation
import OCISpec

/// What a push reports as it goes.
public enum PushEvent: Sendable, Hashable {
    case blobExists(Digest)
    case blobUploaded(Digest, size: Int64)
    case pushed(ImageReference, manifest: Digest)
}

/// Pushes a stored image to a registry: config and layers first (skipping blobs the registry
/// already has), the manifest last, so the tag never points at missing content.
public struct ImagePusher: Sendable {
    public var store: ImageStore
    public var registries: RegistriesConfiguration
    public var authFile: AuthFile

    public init(store: ImageStore, registries: RegistriesConfiguration = .load(), authFile: AuthFile = AuthFile()) {
        self.store = store
        self.registries = registries
        self.authFile = authFile
    }

    /// Pushes the image `source` names (a local name or ID) as `destination`.
    public func push(_ source: String, to destination: ImageReference,
                     events: @escaping @Sendable (PushEvent) -> Void = { _ in }) async throws(ImageError)
    {
        let record = try store.resolve(source)
        let image = try store.details(record)
        let client = RegistryClient(endpoint: RegistryEndpoint(registry: destination.registry, configuration: registries),
                                    credential: authFile.credential(for: destination.registry))
        for blob in [image.manifest.config] + image.manifest.layers {
            if try await client.pushBlob(repository: destination.repository, blob, from: store.content) {
                events(.blobUploaded(blob.digest, size: blob.size))
            } else {
                events(.blobExists(blob.digest))
            }
        }
        let data = try store.content.readBlob(record.manifest.digest)
        let mediaType = image.manifest.mediaType ?? record.manifest.mediaType
        try await client.pushManifest(repository: destination.repository, reference: destination.manifestReference, data, mediaType: mediaType)
        events(.pushed(destination, manifest: record.manifest.digest))
    }
}
