import CArchive
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Writes a POSIX (pax) tar file, optionally compressed. Used by `image save` and to build test
/// layers byte for byte, including entries a careful writer would never produce.
public final class TarWriter {
    public enum Compression: Sendable { case none, gzip, zstd }

    private let archive: OpaquePointer
    private let path: String
    private var closed = false
    /// Fixed so that saved archives are reproducible.
    public var modificationTime: Int = 0

    public init(path: URL, compression: Compression = .none) throws(ImageError) {
        guard let archive = archive_write_new() else { throw ImageError(.io, path.path, "libarchive: out of memory") }
        self.archive = archive
        self.path = path.path
        archive_write_set_format_pax_restricted(archive)
        switch compression {
        case .none: break
        case .gzip: archive_write_add_filter_gzip(archive)
        case .zstd: archive_write_add_filter_zstd(archive)
        }
        guard archive_write_open_filename(archive, path.path) == ARCHIVE_OK else {
            throw ImageError(.io, path.path, "cannot create: \(DecompressedSource.message(archive))")
        }
    }

    /// Writes an uncompressed archive to `fileDescriptor`, which stays open (`cp SERVICE:PATH -`
    /// streams to standard output).
    public init(fileDescriptor: Int32, name: String) throws(ImageError) {
        guard let archive = archive_write_new() else { throw ImageError(.io, name, "libarchive: out of memory") }
        self.archive = archive
        self.path = name
        archive_write_set_format_pax_restricted(archive)
        // Blocks as large as the data allows, not padded to 10 KiB records: a pipe reader sees
        // each entry as it is written.
        archive_write_set_bytes_in_last_block(archive, 1)
        guard archive_write_open_fd(archive, fileDescriptor) == ARCHIVE_OK else {
            throw ImageError(.io, name, "cannot write: \(DecompressedSource.message(archive))")
        }
    }

    deinit {
        if !closed { archive_write_close(archive) }
        archive_write_free(archive)
    }

    public func addDirectory(_ name: String, mode: UInt32 = 0o755, uid: Int64 = 0, gid: Int64 = 0) throws(ImageError) {
        try add(name, type: S_IFDIR, mode: mode, uid: uid, gid: gid, data: nil)
    }

    /// `xattrs` are written as pax `SCHILY.xattr` records (e.g. `security.capability`, `user.*`).
    public func addFile(_ name: String, contents: Data, mode: UInt32 = 0o644, uid: Int64 = 0, gid: Int64 = 0,
                        xattrs: [String: String] = [:]) throws(ImageError)
    {
        try add(name, type: S_IFREG, mode: mode, uid: uid, gid: gid, data: contents) { entry in
            for (key, value) in xattrs.sorted(by: { $0.key < $1.key }) {
                let bytes = Array(value.utf8)
                archive_entry_xattr_add_entry(entry, key, bytes, bytes.count)
            }
        }
    }

    public func addSymlink(_ name: String, target: String) throws(ImageError) {
        try add(name, type: S_IFLNK, mode: 0o777, uid: 0, gid: 0, data: nil) { archive_entry_set_symlink($0, target) }
    }

    public func addHardLink(_ name: String, target: String) throws(ImageError) {
        try add(name, type: S_IFREG, mode: 0o644, uid: 0, gid: 0, data: nil) { archive_entry_set_hardlink($0, target) }
    }

    public func addCharacterDevice(_ name: String, major: UInt32, minor: UInt32) throws(ImageError) {
        try add(name, type: S_IFCHR, mode: 0o666, uid: 0, gid: 0, data: nil) {
            archive_entry_set_rdevmajor($0, dev_t(major))
            archive_entry_set_rdevminor($0, dev_t(minor))
        }
    }

    /// Streams a file from disk into the archive under `name`, without reading it whole.
    /// `followLink: false` refuses a symbolic link at `source` (a container's file read from the
    /// host, which its container could swap for a link meanwhile).
    public func addFile(_ name: String, from source: URL, mode: UInt32 = 0o644, uid: Int64 = 0, gid: Int64 = 0,
                        followLink: Bool = true) throws(ImageError) {
        let fd = open(source.path, O_RDONLY | O_CLOEXEC | (followLink ? 0 : O_NOFOLLOW))
        guard fd >= 0 else { throw .io(source.path, "open", errno: errno) }
        defer { Glibc.close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .io(source.path, "stat", errno: errno) }
        try writeHeader(name, type: S_IFREG, mode: mode, uid: uid, gid: gid, size: Int64(info.st_size), configure: nil)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = read(fd, buffer, 1 << 20)
            if count < 0 {
                if errno == EINTR { continue }
                throw .io(source.path, "read", errno: errno)
            }
            if count == 0 { break }
            guard archive_write_data(archive, buffer, count) == count else {
                throw ImageError(.io, path, "write \(name): \(DecompressedSource.message(archive))")
            }
        }
    }

    public func close() throws(ImageError) {
        closed = true
        guard archive_write_close(archive) == ARCHIVE_OK else {
            throw ImageError(.io, path, "finishing archive: \(DecompressedSource.message(archive))")
        }
    }

    private func add(_ name: String, type: mode_t, mode: UInt32, uid: Int64, gid: Int64, data: Data?,
                     configure: ((OpaquePointer) -> Void)? = nil) throws(ImageError)
    {
        try writeHeader(name, type: type, mode: mode, uid: uid, gid: gid, size: Int64(data?.count ?? 0), configure: configure)
        guard let data, !data.isEmpty else { return }
        let written = data.withUnsafeBytes { archive_write_data(archive, $0.baseAddress, $0.count) }
        guard written == data.count else {
            throw ImageError(.io, path, "write \(name): \(DecompressedSource.message(archive))")
        }
    }

    private func writeHeader(_ name: String, type: mode_t, mode: UInt32, uid: Int64, gid: Int64, size: Int64,
                             configure: ((OpaquePointer) -> Void)?) throws(ImageError)
    {
        guard let entry = archive_entry_new() else { throw ImageError(.io, path, "libarchive: out of memory") }
        defer { archive_entry_free(entry) }
        archive_entry_set_pathname(entry, name)
        archive_entry_set_filetype(entry, UInt32(type))
        archive_entry_set_perm(entry, mode_t(mode))
        archive_entry_set_uid(entry, uid)
        archive_entry_set_gid(entry, gid)
        archive_entry_set_size(entry, size)
        archive_entry_set_mtime(entry, time_t(modificationTime), 0)
        configure?(entry)
        guard archive_write_header(archive, entry) >= ARCHIVE_WARN else {
            throw ImageError(.io, path, "write header \(name): \(DecompressedSource.message(archive))")
        }
    }
}
