/// A pointer to content: its media type, digest and size (OCI image spec, "Descriptors").
public struct Descriptor: Sendable, Hashable, Codable {
    public var mediaType: MediaType
    public var digest: Digest
    /// Size of the blob in bytes; a fetch that returns more or less is an error.
    public var size: Int64
    public var urls: [String]?
    public var annotations: [String: String]?
    /// Only meaningful in an index entry.
    public var platform: Platform?
    public var artifactType: MediaType?

    public init(mediaType: MediaType, digest: Digest, size: Int64, annotations: [String: String]? = nil,
                platform: Platform? = nil)
    {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.annotations = annotations
        self.platform = platform
    }
}

extension Descriptor {
    /// `org.opencontainers.image.ref.name`: the tag an OCI layout index entry stands for.
    public static let refNameAnnotation = "org.opencontainers.image.ref.name"
    /// containerd's annotation holding the full image name, which `oci-archive` writers also set.
    public static let imageNameAnnotation = "io.containerd.image.name"
}
