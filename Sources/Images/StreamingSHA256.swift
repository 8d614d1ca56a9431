// The only file that imports Crypto: its `Digest` protocol would otherwise shadow OCISpec's
// `Digest` everywhere in this module.
import Crypto
import OCISpec

/// Incremental SHA-256 producing an OCI `Digest`; fed chunk by chunk while blobs stream.
struct StreamingSHA256 {
    private var hasher = SHA256()

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        hasher.update(bufferPointer: bytes)
    }

    func finalize() -> OCISpec.Digest {
        let hash = hasher.finalize()
        // SHA256.Digest is always 32 bytes, so its hex is always a valid sha256 encoding.
        guard let digest = try? OCISpec.Digest(sha256: hash) else {
            preconditionFailure("SHA-256 produced a malformed digest")
        }
        return digest
    }
}
