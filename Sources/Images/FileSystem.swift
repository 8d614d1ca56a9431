import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The few file-system primitives the store is built on, with errors that name the path.
/// Everything that must survive a crash goes through `writeAtomically` or `publish`.
enum FileSystem {
    static func makeDirectory(_ url: URL) throws(ImageError) {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw ImageError(.io, url.path, "cannot create directory: \(error.localizedDescription)")
        }
    }

    static func exists(_ url: URL) -> Bool {
        var info = stat()
        return lstat(url.path, &info) == 0
    }

    static func remove(_ url: URL) {
        // Removal is best-effort cleanup of temporary or unreferenced content; a leftover is
        // collected by the next prune, so the error is deliberately not surfaced.
        try? FileManager.default.removeItem(at: url)
    }

    static func read(_ url: URL) throws(ImageError) -> Data {
        do {
            return try Data(contentsOf: url)
        } catch {
            throw ImageError(.io, url.path, "cannot read: \(error.localizedDescription)")
        }
    }

    /// Writes `data` to a temporary file beside `url`, fsyncs it, renames it over `url` and fsyncs
    /// the directory: readers see the old content or the new, never a torn file.
    static func writeAtomically(_ data: Data, to url: URL) throws(ImageError) {
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .io(temporary.path, "open", errno: errno) }
        do throws(ImageError) {
            try withBytes(of: data) { (bytes) throws(ImageError) in try writeAll(fd: fd, bytes, path: temporary.path) }
            guard fsync(fd) == 0 else { throw ImageError.io(temporary.path, "fsync", errno: errno) }
            close(fd)
            try publish(temporary, at: url)
        } catch {
            close(fd)
            remove(temporary)
            throw error
        }
    }

    /// Renames a complete file or directory into place and makes the rename durable.
    static func publish(_ source: URL, at destination: URL) throws(ImageError) {
        guard rename(source.path, destination.path) == 0 else {
            throw .io(destination.path, "rename from \(source.lastPathComponent)", errno: errno)
        }
        syncDirectory(destination.deletingLastPathComponent())
    }

    static func syncDirectory(_ url: URL) {
        let fd = open(url.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        // A directory fsync can fail on file systems that do not support it (some FUSE, tmpfs
        // returns success); the rename itself already happened, so there is nothing to undo.
        _ = fsync(fd)
        close(fd)
    }

    /// `Data.withUnsafeBytes` with a typed throw (the standard one only rethrows `any Error`).
    static func withBytes<T>(of data: Data, _ body: (UnsafeRawBufferPointer) throws(ImageError) -> T) throws(ImageError) -> T {
        let result: Result<T, ImageError> = data.withUnsafeBytes { bytes in
            do throws(ImageError) { return .success(try body(bytes)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    static func writeAll(fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(ImageError) {
        guard var base = bytes.baseAddress else { return }
        var remaining = bytes.count
        while remaining > 0 {
            let written = write(fd, base, remaining)
            if written < 0 {
                if errno == EINTR { continue }
                throw .io(path, "write", errno: errno)
            }
            remaining -= written
            base = base.advanced(by: written)
        }
    }

    /// Size in bytes of everything below `url` (files counted once per inode).
    static func diskUsage(_ url: URL) -> Int64 {
        guard let walker = FileManager.default.enumerator(at: url, includingPropertiesForKeys: nil,
                                                          options: [], errorHandler: { _, _ in true })
        else { return 0 }
        var seen = Set<UInt64>()
        var total: Int64 = 0
        for case let item as URL in walker {
            var info = stat()
            guard lstat(item.path, &info) == 0, seen.insert(UInt64(info.st_ino)).inserted else { continue }
            total += Int64(info.st_blocks) * 512
        }
        return total
    }
}

/// An exclusive advisory lock on a file, held for the life of a closure, so that two `berth`
/// processes never read-modify-write the image index at the same time.
struct FileLock {
    let url: URL
    /// Shared holders exclude only exclusive ones (see `ImageStore.withStoreAccess`).
    var shared = false

    func withLock<T>(_ body: () throws(ImageError) -> T) throws(ImageError) -> T {
        let fd = try acquire()
        defer { close(fd) }
        return try body()
    }

    /// Opens and locks the file; closing the descriptor releases the lock (also when the process
    /// is killed, so a crash never leaves the store locked).
    func acquire() throws(ImageError) -> Int32 {
        let fd = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .io(url.path, "open lock", errno: errno) }
        while flock(fd, shared ? LOCK_SH : LOCK_EX) != 0 {
            guard errno == EINTR else {
                let code = errno
                close(fd)
                throw .io(url.path, "flock", errno: code)
            }
        }
        return fd
    }
}
