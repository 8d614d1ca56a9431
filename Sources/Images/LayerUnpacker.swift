import CArchive
import Foundation
import OCISpec

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What an unpack did, for progress lines and for the notes a rootless user needs to see.
public struct UnpackReport: Sendable, Hashable, Codable {
    public var entries = 0
    /// Bytes of the uncompressed tar stream.
    public var uncompressedBytes: Int64 = 0
    public var whiteouts = 0
    public var opaqueDirectories = 0
    /// Entries that could not be created as this user (device nodes when rootless), one line each.
    public var skipped: [String] = []
    /// What the user should know about the whole layer (owners lost without a subordinate range).
    public var warnings: [String] = []
    /// The digest of the uncompressed stream (the layer's diff ID).
    public var diffID: Digest?

    public init() {}
}

/// Unpacks layer tars (plain, gzip or zstd; libarchive detects which) into a directory.
///
/// Every entry name is checked before anything is written: absolute names, `..` components, hard
/// links pointing outside, and paths through symlinks are refused, and the whole layer fails, so a
/// hostile layer never writes outside its directory. OCI whiteouts become overlayfs whiteouts
/// (character device 0/0) and opaque markers become the `overlay.opaque` xattr, so the result is
/// ready to be an overlay lower dir.
public struct LayerUnpacker: Sendable {
    public enum Mode: Sendable, Hashable {
        /// Convert whiteouts for overlayfs. `userXattr` writes `user.overlay.*` (rootless overlay
        /// mounted with `userxattr`) instead of `trusted.overlay.*`.
        case overlay(userXattr: Bool)
        /// Plain extraction of an archive that is not a layer (an image archive being imported):
        /// `.wh.` names are ordinary files.
        case plain
    }

    public var mode: Mode
    /// Restore file owners from the tar (only possible as root or inside a user namespace).
    public var restoreOwners: Bool

    public init(mode: Mode = .overlay(userXattr: geteuid() != 0), restoreOwners: Bool = geteuid() == 0) {
        self.mode = mode
        self.restoreOwners = restoreOwners
    }

    /// Unpacks `archive` into the existing, empty directory `destination`. When `expectedDiffID`
    /// is given, the uncompressed stream must hash to it.
    public func unpack(archive: URL, into destination: URL, expectedDiffID: Digest? = nil) throws(ImageError) -> UnpackReport {
        guard let resolvedPath = realpath(destination.path, nil) else {
            throw .io(destination.path, "realpath", errno: errno)
        }
        let root = String(cString: resolvedPath)
        free(resolvedPath)
        let session = try UnpackSession(archivePath: archive.path, root: root, unpacker: self)
        defer { session.close() }
        var report = try session.run()
        let digest = session.source.hasher.finalize()
        report.diffID = digest
        if let expectedDiffID, digest != expectedDiffID {
            throw ImageError(.digestMismatch, archive.lastPathComponent,
                             "uncompressed layer hashes to \(digest), the image config says \(expectedDiffID)")
        }
        return report
    }

    /// Turns an entry name into a relative path of plain components, or refuses it.
    /// Returns an empty array for the root itself (`./`).
    static func components(of name: String, entry: String) throws(ImageError) -> [String] {
        if name.hasPrefix("/") {
            throw ImageError(.unsafeArchiveEntry, entry, "absolute path in a layer; refusing the layer")
        }
        var parts: [String] = []
        for part in name.split(separator: "/", omittingEmptySubsequences: true) where part != "." {
            if part == ".." {
                throw ImageError(.unsafeArchiveEntry, entry, "path leaves the layer through '..'; refusing the layer")
            }
            parts.append(String(part))
        }
        return parts
    }
}

/// The decompressed byte stream of a layer, hashed as it is consumed. The outer libarchive reader
/// only decompresses (format "raw"); the inner tar reader pulls from it through a callback, so the
/// diff ID is computed in the same single pass that extracts the files.
final class DecompressedSource {
    let outer: OpaquePointer
    let buffer: UnsafeMutableRawPointer
    let capacity = 1 << 20
    var hasher = StreamingSHA256()
    var total: Int64 = 0
    var failure: String?

    init(path: String) throws(ImageError) {
        guard let outer = archive_read_new() else { throw ImageError(.io, path, "libarchive: out of memory") }
        self.outer = outer
        buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        archive_read_support_filter_all(outer)
        archive_read_support_format_raw(outer)
        guard archive_read_open_filename(outer, path, 1 << 20) == ARCHIVE_OK else {
            throw ImageError(.corruptArchive, path, "cannot open: \(Self.message(outer))")
        }
        var entry: OpaquePointer?
        let status = archive_read_next_header(outer, &entry)
        guard status == ARCHIVE_OK else {
            throw ImageError(.corruptArchive, path, "not a tar, gzip or zstd stream: \(Self.message(outer))")
        }
    }

    deinit {
        archive_read_free(outer)
        buffer.deallocate()
    }

    /// Next chunk of decompressed bytes; 0 at the end, -1 on a decompression error.
    func next() -> Int {
        let count = archive_read_data(outer, buffer, capacity)
        if count < 0 {
            failure = Self.message(outer)
            return -1
        }
        if count > 0 {
            hasher.update(UnsafeRawBufferPointer(start: buffer, count: count))
            total += Int64(count)
        }
        return count
    }

    /// Reads what the tar reader left (end-of-archive padding) so the hash covers the whole stream.
    func drain() throws(ImageError) {
        while true {
            let count = next()
            if count == 0 { return }
            if count < 0 { throw ImageError(.corruptArchive, "layer", "decompression failed: \(failure ?? "unknown")") }
        }
    }

    static func message(_ archive: OpaquePointer) -> String {
        archive_error_string(archive).map { String(cString: $0) } ?? "unknown libarchive error"
    }
}

/// One extraction: the inner tar reader, the disk writer, and the whiteout bookkeeping.
private final class UnpackSession {
    let source: DecompressedSource
    let reader: OpaquePointer
    let disk: OpaquePointer
    let root: String
    let unpacker: LayerUnpacker
    /// Device nodes need CAP_MKNOD in the initial user namespace: root outside any user namespace.
    let canMakeDevices = geteuid() == 0 && !LayerUnpacker.insideUserNamespace

    init(archivePath: String, root: String, unpacker: LayerUnpacker) throws(ImageError) {
        source = try DecompressedSource(path: archivePath)
        guard let reader = archive_read_new(), let disk = archive_write_disk_new() else {
            throw ImageError(.io, archivePath, "libarchive: out of memory")
        }
        self.reader = reader
        self.disk = disk
        self.root = root
        self.unpacker = unpacker
        archive_read_support_format_tar(reader)
        var flags = ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_UNLINK
            | ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_XATTR
        if unpacker.restoreOwners { flags |= ARCHIVE_EXTRACT_OWNER }
        archive_write_disk_set_options(disk, flags)
        // No name lookup: owners in a layer are numeric IDs of the image, not of this host.
        let context = Unmanaged.passUnretained(source).toOpaque()
        let status = archive_read_open(reader, context, nil, { _, client, buffer in
            guard let client, let buffer else { return -1 }
            let source = Unmanaged<DecompressedSource>.fromOpaque(client).takeUnretainedValue()
            let count = source.next()
            buffer.pointee = UnsafeRawPointer(source.buffer)
            return count
        }, nil)
        guard status == ARCHIVE_OK else {
            throw ImageError(.corruptArchive, archivePath, "not a tar stream: \(DecompressedSource.message(reader))")
        }
    }

    func close() {
        archive_write_free(disk)
        archive_read_free(reader)
    }

    func run() throws(ImageError) -> UnpackReport {
        var report = UnpackReport()
        var entry: OpaquePointer?
        while true {
            let status = archive_read_next_header(reader, &entry)
            if status == ARCHIVE_EOF { break }
            guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let entry else {
                throw readFailure()
            }
            try extract(entry, report: &report)
        }
        guard archive_write_close(disk) == ARCHIVE_OK else {
            throw ImageError(.io, root, "finishing extraction: \(DecompressedSource.message(disk))")
        }
        try source.drain()
        report.uncompressedBytes = source.total
        return report
    }

    private func readFailure() -> ImageError {
        if let failure = source.failure {
            return ImageError(.corruptArchive, "layer", "decompression failed: \(failure)")
        }
        return ImageError(.corruptArchive, "layer", "bad tar stream: \(DecompressedSource.message(reader))")
    }

    private func extract(_ entry: OpaquePointer, report: inout UnpackReport) throws(ImageError) {
        let name = archive_entry_pathname(entry).map { String(cString: $0) } ?? ""
        let parts = try LayerUnpacker.components(of: name, entry: name)
        report.entries += 1
        guard let base = parts.last else { return }  // "./": the layer root itself keeps our mode
        let parent = Array(parts.dropLast())

        if case .overlay(let userXattr) = unpacker.mode, base.hasPrefix(".wh.") {
            try refuseSymlinks(in: parent, entry: name)
            let parentPath = path(parent)
            try makeParents(parent)
            if base == ".wh..wh..opq" {
                let attribute = userXattr ? "user.overlay.opaque" : "trusted.overlay.opaque"
                guard setxattr(parentPath, attribute, "y", 1, 0) == 0 else {
                    throw .io(parentPath, "setxattr \(attribute)", errno: errno)
                }
                report.opaqueDirectories += 1
            } else {
                let hidden = String(base.dropFirst(4))
                let target = path(parent + [hidden])
                _ = unlink(target)
                guard mknod(target, S_IFCHR | 0o000, 0) == 0 else {
                    throw .io(target, "mknod whiteout", errno: errno)
                }
                report.whiteouts += 1
            }
            return
        }

        let type = archive_entry_filetype(entry)
        if !canMakeDevices, type == S_IFCHR || type == S_IFBLK {
            report.skipped.append("\(name): device node not created (only root outside a user namespace may; containers get /dev from the runtime)")
            return
        }
        try refuseSymlinks(in: parent, entry: name)
        archive_entry_set_pathname(entry, path(parts))
        if let link = archive_entry_hardlink(entry) {
            let linkName = String(cString: link)
            let linkParts = try LayerUnpacker.components(of: linkName, entry: "\(name) (hard link to \(linkName))")
            try refuseSymlinks(in: linkParts, entry: name)
            archive_entry_set_hardlink(entry, path(linkParts))
        }

        let header = archive_write_header(disk, entry)
        if header < ARCHIVE_WARN {
            throw ImageError(.unsafeArchiveEntry, name, "cannot extract: \(DecompressedSource.message(disk))")
        }
        if archive_entry_size(entry) > 0 {
            var block: UnsafeRawPointer?
            var size = 0
            var offset: la_int64_t = 0
            while true {
                let status = archive_read_data_block(reader, &block, &size, &offset)
                if status == ARCHIVE_EOF { break }
                guard status >= ARCHIVE_WARN else { throw readFailure() }
                guard archive_write_data_block(disk, block, size, offset) >= ARCHIVE_WARN else {
                    throw ImageError(.io, name, "write: \(DecompressedSource.message(disk))")
                }
            }
        }
        // ARCHIVE_WARN here is a metadata detail the platform refused (an xattr namespace, a
        // time on a symlink); the file itself is in place.
        guard archive_write_finish_entry(disk) >= ARCHIVE_WARN else {
            throw ImageError(.io, name, "finish: \(DecompressedSource.message(disk))")
        }
    }

    private func path(_ parts: [String]) -> String {
        parts.isEmpty ? root : root + "/" + parts.joined(separator: "/")
    }

    /// Refuses a path whose directories include a symlink already on disk: following it could
    /// lead outside the layer.
    private func refuseSymlinks(in parts: [String], entry: String) throws(ImageError) {
        var current = root
        for part in parts {
            current += "/" + part
            var info = stat()
            guard lstat(current, &info) == 0 else { return }  // not created yet: nothing to follow
            if info.st_mode & S_IFMT == S_IFLNK {
                throw ImageError(.unsafeArchiveEntry, entry, "path goes through the symlink \(part); refusing the layer")
            }
        }
    }

    private func makeParents(_ parts: [String]) throws(ImageError) {
        var current = root
        for part in parts {
            current += "/" + part
            if mkdir(current, 0o755) != 0, errno != EEXIST { throw .io(current, "mkdir", errno: errno) }
        }
    }
}

extension LayerUnpacker {
    /// Whether this process runs in a user namespace other than the initial one, whose uid_map is
    /// the identity over all 2^32 - 1 IDs.
    static let insideUserNamespace: Bool = {
        guard let text = try? String(contentsOfFile: "/proc/self/uid_map", encoding: .utf8) else { return false }
        let fields = text.split(whereSeparator: \.isWhitespace)
        return fields != ["0", "0", "4294967295"]
    }()

    /// Whether `path` carries overlayfs's opaque-directory marker, as the kernel (`trusted.`) or a
    /// rootless unpack (`user.`) writes it: readers of unmounted layers (`berth cp` on a stopped
    /// container) must not look below such a directory.
    public static func isOpaqueDirectory(_ path: String) -> Bool {
        for attribute in ["trusted.overlay.opaque", "user.overlay.opaque"] {
            var value: UInt8 = 0
            if lgetxattr(path, attribute, &value, 1) == 1, value == UInt8(ascii: "y") { return true }
        }
        return false
    }
}
