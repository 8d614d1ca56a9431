import Foundation
import OCISpec

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Streams one blob into the store's ingest area, hashing as it writes, and publishes it under its
/// digest only after the size and digest check out. Never holds the blob in memory.
///
/// Used by one task at a time (a download or a copy); not `Sendable` for that reason.
public final class BlobWriter {
    let store: ContentStore
    let partial: URL
    let expected: Descriptor?
    private var fd: Int32 = -1
    private var hasher = StreamingSHA256()
    /// Held on `<digest>.partial.lock` while writing the resumable partial file. Never waited
    /// for: when another writer (task or process) holds it, this one writes a private partial
    /// instead, so no thread ever blocks on a lock and correctness still rests on verification.
    private var lockFD: Int32 = -1
    /// The resumable partial's name (differs from `partial` when this writer fell back).
    private let partialPath: URL

    /// Bytes already written, including those found from an earlier interrupted attempt.
    public private(set) var offset: Int64 = 0

    init(store: ContentStore, partial: URL, expected: Descriptor?) throws(ImageError) {
        self.store = store
        self.expected = expected
        var path = partial
        if expected != nil {
            let lock = open(partial.path + ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard lock >= 0 else { throw .io(partial.path + ".lock", "open", errno: errno) }
            if flock(lock, LOCK_EX | LOCK_NB) == 0 {
                lockFD = lock
            } else {
                close(lock)
                path = partial.deletingLastPathComponent().appendingPathComponent("\(UUID().uuidString).concurrent")
            }
        }
        self.partial = path
        self.partialPath = partial
        fd = open(path.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .io(path.path, "open", errno: errno) }
        try rehashExisting()
    }

    deinit {
        if fd >= 0 { close(fd) }
        if lockFD >= 0 { close(lockFD) }
    }

    /// True when another writer stored the blob before this one started.
    public var isAlreadyStored: Bool { expected.map { store.hasBlob($0.digest) } ?? false }

    /// Re-reads what an earlier attempt left, so the hash covers the whole blob after resuming.
    private func rehashExisting() throws(ImageError) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = read(fd, buffer.baseAddress, buffer.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw .io(partial.path, "read", errno: errno)
            }
            if count == 0 { break }
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            offset += Int64(count)
        }
        if let expected, offset > expected.size { restart() }
    }

    /// Drops what was written so far (a server that ignored a Range request, a partial too long).
    public func restart() {
        _ = ftruncate(fd, 0)
        _ = lseek(fd, 0, SEEK_SET)
        hasher = StreamingSHA256()
        offset = 0
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(ImageError) {
        if let expected, offset + Int64(bytes.count) > expected.size {
            discard()
            throw ImageError(.sizeMismatch, expected.digest.description,
                             "blob is larger than its descriptor's \(expected.size) bytes")
        }
        try FileSystem.writeAll(fd: fd, bytes, path: partial.path)
        hasher.update(bytes)
        offset += Int64(bytes.count)
    }

    public func write(_ data: Data) throws(ImageError) {
        try FileSystem.withBytes(of: data) { (bytes) throws(ImageError) in try write(bytes) }
    }

    /// Verifies size and digest, makes the data durable and moves it into `blobs/`. On a mismatch
    /// the partial file is deleted, so the next attempt starts clean.
    public func commit() throws(ImageError) -> Descriptor {
        let digest = hasher.finalize()
        if let expected {
            guard offset == expected.size else {
                discard()
                throw ImageError(.sizeMismatch, expected.digest.description,
                                 "received \(offset) bytes, the descriptor says \(expected.size)")
            }
            guard digest == expected.digest else {
                discard()
                throw ImageError(.digestMismatch, expected.digest.description,
                                 "content hashes to \(digest); refusing to store it")
            }
        }
        guard fsync(fd) == 0 else { throw .io(partial.path, "fsync", errno: errno) }
        close(fd)
        fd = -1
        if store.hasBlob(digest) {
            FileSystem.remove(partial)
        } else {
            try FileSystem.publish(partial, at: store.blobURL(digest))
        }
        releaseLock()
        return Descriptor(mediaType: expected?.mediaType ?? "application/octet-stream", digest: digest, size: offset)
    }

    /// Deletes the partial file; used on verification failure.
    public func discard() {
        if fd >= 0 { close(fd); fd = -1 }
        FileSystem.remove(partial)
        releaseLock()
    }

    /// Removes the lock file. A writer that opened it just before may still lock the unlinked
    /// file and race a newer one on the same partial; the digest check at commit catches that.
    private func releaseLock() {
        guard lockFD >= 0 else { return }
        FileSystem.remove(URL(fileURLWithPath: partialPath.path + ".lock"))
        close(lockFD)
        lockFD = -1
    }
}

