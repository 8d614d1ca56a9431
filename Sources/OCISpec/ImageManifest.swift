/// A single-platform image manifest (OCI image manifest or Docker schema 2; the two share a shape).
public struct ImageManifest: Sendable, Hashable, Codable {
    public var schemaVersion: Int
    public var mediaType: MediaType?
    public var artifactType: MediaType?
    public var config: Descriptor
    /// Ordered from the base layer upwards.
    public var layers: [Descriptor]
    public var subject: Descriptor?
    public var annotations: [String: String]?

    public init(mediaType: MediaType? = .ociManifest, config: Descriptor, layers: [Descriptor],
                annotations: [String: String]? = nil)
    {
        self.schemaVersion = 2
        self.mediaType = mediaType
        self.config = config
        self.layers = layers
        self.annotations = annotations
    }
}
