import Foundation
import OCISpec

/// Where an image comes from: a registry, or one of the offline transports podman and skopeo
/// share, usable anywhere an image name is.
public enum ImageSource: Sendable, Hashable, CustomStringConvertible {
    case registry(ImageReference)
    /// `oci:DIR[:tag]`, an OCI image layout directory.
    case ociLayout(path: String, tag: String?)
    /// `oci-archive:PATH[:tag]`, a tar of an OCI image layout.
    case ociArchive(path: String, tag: String?)
    /// `docker-archive:PATH`, the `docker save` format.
    case dockerArchive(path: String)

    /// Parses `oci:`, `oci-archive:`, `docker-archive:` or `docker://` prefixes; anything else is a
    /// registry image name.
    public init(parsing text: String, defaultRegistry: String = ImageReference.dockerHub) throws(ImageError) {
        func pathAndTag(_ rest: Substring) -> (String, String?) {
            // The tag follows the last colon only when that colon is after the last slash and
            // what follows is a valid tag or name; paths may contain colons otherwise.
            if let colon = rest.lastIndex(of: ":"), rest.lastIndex(of: "/").map({ $0 < colon }) ?? true {
                let tag = String(rest[rest.index(after: colon)...])
                if !tag.isEmpty { return (String(rest[..<colon]), tag) }
            }
            return (String(rest), nil)
        }
        if text.hasPrefix("oci-archive:") {
            let (path, tag) = pathAndTag(text.dropFirst("oci-archive:".count))
            self = .ociArchive(path: path, tag: tag)
        } else if text.hasPrefix("oci:") {
            let (path, tag) = pathAndTag(text.dropFirst("oci:".count))
            self = .ociLayout(path: path, tag: tag)
        } else if text.hasPrefix("docker-archive:") {
            self = .dockerArchive(path: String(text.dropFirst("docker-archive:".count)))
        } else {
            let name = text.hasPrefix("docker://") ? String(text.dropFirst("docker://".count)) : text
            do {
                self = .registry(try ImageReference(parsing: name, defaultRegistry: defaultRegistry))
            } catch {
                throw ImageError(.invalidReference, text, error.message)
            }
        }
    }

    public var description: String {
        switch self {
        case .registry(let reference): reference.description
        case .ociLayout(let path, let tag): "oci:\(path)" + (tag.map { ":\($0)" } ?? "")
        case .ociArchive(let path, let tag): "oci-archive:\(path)" + (tag.map { ":\($0)" } ?? "")
        case .dockerArchive(let path): "docker-archive:\(path)"
        }
    }
}
