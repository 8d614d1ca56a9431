/// A media type string such as `application/vnd.oci.image.manifest.v1+json`.
///
/// Kept open (a wrapped string, not an enum) because registries return types Berth has never heard
/// of; the constants name the ones Berth understands, and callers decide what to refuse.
public struct MediaType: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible,
    ExpressibleByStringLiteral
{
    public var rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }

    // OCI image spec
    public static let ociManifest: MediaType = "application/vnd.oci.image.manifest.v1+json"
    public static let ociIndex: MediaType = "application/vnd.oci.image.index.v1+json"
    public static let ociConfig: MediaType = "application/vnd.oci.image.config.v1+json"
    public static let ociLayerTar: MediaType = "application/vnd.oci.image.layer.v1.tar"
    public static let ociLayerGzip: MediaType = "application/vnd.oci.image.layer.v1.tar+gzip"
    public static let ociLayerZstd: MediaType = "application/vnd.oci.image.layer.v1.tar+zstd"
    public static let ociLayerNondistributableGzip: MediaType =
        "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"

    // Docker image manifest v2, schema 2
    public static let dockerManifest: MediaType = "application/vnd.docker.distribution.manifest.v2+json"
    public static let dockerManifestList: MediaType = "application/vnd.docker.distribution.manifest.list.v2+json"
    public static let dockerConfig: MediaType = "application/vnd.docker.container.image.v1+json"
    public static let dockerLayerGzip: MediaType = "application/vnd.docker.image.rootfs.diff.tar.gzip"
    public static let dockerLayerForeignGzip: MediaType =
        "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"

    /// A single-platform manifest (OCI or Docker schema 2).
    public var isManifest: Bool { self == .ociManifest || self == .dockerManifest }
    /// A multi-platform index (OCI index or Docker manifest list).
    public var isIndex: Bool { self == .ociIndex || self == .dockerManifestList }

    /// How a layer blob is compressed, or nil when the type is not a layer Berth can unpack.
    public var layerCompression: LayerCompression? {
        switch self {
        case .ociLayerTar, "application/vnd.docker.image.rootfs.diff.tar": LayerCompression.none
        case .ociLayerGzip, .dockerLayerGzip, .ociLayerNondistributableGzip, .dockerLayerForeignGzip: .gzip
        case .ociLayerZstd: .zstd
        default: nil
        }
    }
}

/// The compression of a layer tar stream.
public enum LayerCompression: String, Sendable, Hashable, Codable {
    case none
    case gzip
    case zstd
}
