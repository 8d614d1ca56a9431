/// A multi-platform index (OCI image index or Docker manifest list), and the top-level
/// `index.json` of an OCI image layout.
public struct ImageIndex: Sendable, Hashable, Codable {
    public var schemaVersion: Int
    public var mediaType: MediaType?
    public var artifactType: MediaType?
    public var manifests: [Descriptor]
    public var subject: Descriptor?
    public var annotations: [String: String]?

    public init(mediaType: MediaType? = .ociIndex, manifests: [Descriptor], annotations: [String: String]? = nil) {
        self.schemaVersion = 2
        self.mediaType = mediaType
        self.manifests = manifests
        self.annotations = annotations
    }

    /// The manifest for `platform`: the first entry whose platform satisfies it, preferring an
    /// exact variant match. Entries without a platform (attestations, unknown artifacts) never match.
    public func manifest(for platform: Platform) -> Descriptor? {
        let candidates = manifests.filter { $0.platform?.satisfies(platform) ?? false }
        return candidates.first { $0.platform?.variant == platform.variant } ?? candidates.first
    }
}
