import EngineAPI
import Foundation
import Images

/// A container's files as `cp` reads and writes them, running or not. Paths inside the container
/// are resolved one component at a time as the container would see them: a symbolic link is
/// followed inside the container's root (an absolute target starts again from that root), and a
/// path that would leave the root (`..` above `/`, through a link or written out) is refused
/// rather than clamped, so `cp` never reads or writes a host file through a container's link.
///
/// A stopped container has no mounted root: its files are its writable layer over the image's
/// layers, and an overlay whiteout (a 0/0 character device) or an opaque directory in a layer
/// hides what the layers below hold at that path, exactly as the overlay would.
///
/// A running container's root is `/proc/<pid>/root`; the container may change its own files while
/// they are copied, as with `docker cp`.
public struct ContainerFiles: Sendable {
    /// Top first: the writable layer (or the live root), then the image's layers.
    let layers: [String]
    /// Whether the layers carry overlay whiteouts (a stopped container), rather than being one
    /// merged tree (a running one).
    let layered: Bool
    let object: String

    public init(_ view: LocalEngine.FileView, container: String) {
        switch view {
        case .live(let root):
            layers = [root]
            layered = false
        case .layered(let upper, let lower):
            layers = [upper] + lower
            layered = true
        }
        object = "container \(container)"
    }

    // MARK: resolution

    /// `path` with every symbolic link resolved inside the container, as components; the last one
    /// is not followed when `followLast` is false (it is what is copied, link or not).
    func resolve(_ path: String, followLast: Bool = true) throws(EngineError) -> [String] {
        var pending = Self.components(path)
        var resolved: [String] = []
        var links = 0
        while !pending.isEmpty {
            let name = pending.removeFirst()
            if name == "." || name.isEmpty { continue }
            if name == ".." {
                guard !resolved.isEmpty else {
                    let how = links > 0 ? " through a symbolic link" : ""
                    throw EngineError(.invalidState, object: object, "\(path) leaves the container's root filesystem\(how): refused")
                }
                resolved.removeLast()
                continue
            }
            let candidate = resolved + [name]
            guard let host = lookup(candidate), let target = Self.linkTarget(host), followLast || !pending.isEmpty else {
                resolved = candidate
                continue
            }
            links += 1
            if links > 40 { throw EngineError(.invalidState, object: object, "\(path): too many levels of symbolic links") }
            pending = Self.components(target) + pending
            if target.hasPrefix("/") { resolved = [] }
        }
        return resolved
    }

    /// The host path of `components` in the topmost layer that has it, nil when no layer has it
    /// or a whiteout above hides it.
    func lookup(_ components: [String]) -> String? {
        guard layered else {
            let path = Self.join(layers[0], components)
            return Self.exists(path) ? path : nil
        }
        guard !components.isEmpty else { return layers.first }
        for layer in layers {
            var hidden = false
            for depth in 1...components.count {
                let path = Self.join(layer, Array(components.prefix(depth)))
                guard let info = Self.info(path) else { break }
                if Self.isWhiteout(info) { return nil }
                if depth == components.count { return path }
                // A file where a lower layer has a directory hides that directory, as on the overlay.
                guard info.st_mode & S_IFMT == S_IFDIR else { return nil }
                // An opaque directory hides every lower layer's content below it.
                if Self.isOpaque(path) { hidden = true }
            }
            if hidden { return nil }
        }
        return nil
    }

    /// The names in directory `components` across the layers, whiteouts and opaque directories
    /// applied.
    func entries(_ components: [String]) -> [String] {
        var names = Set<String>()
        var removed = Set<String>()
        for layer in layers {
            let path = Self.join(layer, components)
            guard let info = Self.info(path), info.st_mode & S_IFMT == S_IFDIR else {
                if !layered { break }
                continue
            }
            for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] where !removed.contains(name) {
                if layered, let entry = Self.info(path + "/" + name), Self.isWhiteout(entry) {
                    removed.insert(name)
                } else {
                    names.insert(name)
                }
            }
            if !layered || Self.isOpaque(path) { break }
        }
        return names.subtracting(removed).sorted()
    }

    // MARK: copying

    /// Copies `path` (inside the container) to `destination` on the host, as `docker cp` does:
    /// into `destination` when it is a directory, else as `destination`.
    public func copyOut(_ path: String, to destination: String, archive: Bool) throws(EngineError) {
        // A link named as the source is copied as a link, as docker cp does; `dir/` or `dir/.` follow it.
        let source = try resolve(path, followLast: path.hasSuffix("/") || path.hasSuffix("/."))
        guard lookup(source) != nil else {
            throw EngineError(.notFound, object: object, "no such file or directory in the container: \(path)")
        }
        var target = destination
        if let info = Self.info(destination), info.st_mode & S_IFMT == S_IFDIR, !path.hasSuffix("/.") {
            target = destination + "/" + (source.last ?? "root")
        }
        try copyOut(source, target, archive: archive)
    }

    private func copyOut(_ components: [String], _ target: String, archive: Bool) throws(EngineError) {
        guard let host = lookup(components), let info = Self.info(host) else { return }
        switch info.st_mode & S_IFMT {
        case S_IFDIR:
            if Self.info(target) == nil, mkdir(target, info.st_mode & 0o7777 | 0o700) != 0 {
                throw failure("mkdir", target)
            }
            for name in entries(components) { try copyOut(components + [name], target + "/" + name, archive: archive) }
            _ = chmod(target, info.st_mode & 0o7777)
        case S_IFREG:
            try Self.copyFile(host, target, mode: info.st_mode & 0o7777, object: object)
        case S_IFLNK:
            guard let link = Self.linkTarget(host) else { return }
            unlink(target)
            if symlink(link, target) != 0 { throw failure("symlink", target) }
        default:
            return  // devices, sockets and fifos are not copied, as docker cp skips them
        }
        if archive { _ = lchown(target, info.st_uid, info.st_gid) }
    }

    /// Copies the host's `source` to `path` in the container: into `path` when it is a directory
    /// there, else as `path` (its parent must exist). Files belong to the container's root unless
    /// `archive` keeps the source's owners.
    public func copyIn(_ source: String, to path: String, archive: Bool) throws(EngineError) {
        guard let info = Self.info(source) else {
            throw EngineError(.notFound, object: "\(source)", "no such file or directory on the host")
        }
        var destination = try resolve(path)
        if let existing = lookup(destination), let found = Self.info(existing), found.st_mode & S_IFMT == S_IFDIR,
           !source.hasSuffix("/.") {
            destination.append((source as NSString).lastPathComponent)
        } else {
            guard lookup(Array(destination.dropLast())).flatMap(Self.info).map({ $0.st_mode & S_IFMT == S_IFDIR }) == true else {
                throw EngineError(.notFound, object: object, "the directory of \(path) does not exist in the container")
            }
        }
        guard !destination.isEmpty else { throw EngineError(.invalidState, object: object, "cannot replace the container's root") }
        try prepareParents(of: destination)
        try copyIn(source, info: info, destination, archive: archive)
    }

    private func copyIn(_ source: String, info: stat, _ components: [String], archive: Bool) throws(EngineError) {
        let target = Self.join(layers[0], components)
        if layered, let existing = Self.info(target), Self.isWhiteout(existing) { unlink(target) }
        switch info.st_mode & S_IFMT {
        case S_IFDIR:
            if let existing = Self.info(target), existing.st_mode & S_IFMT != S_IFDIR { unlink(target) }
            if Self.info(target) == nil, mkdir(target, info.st_mode & 0o7777 | 0o700) != 0 {
                throw failure("mkdir", target)
            }
            let names = (try? FileManager.default.contentsOfDirectory(atPath: source)) ?? []
            for name in names.sorted() {
                guard let entry = Self.info(source + "/" + name) else { continue }
                try copyIn(source + "/" + name, info: entry, components + [name], archive: archive)
            }
            _ = chmod(target, info.st_mode & 0o7777)
        case S_IFREG:
            try Self.copyFile(source, target, mode: info.st_mode & 0o7777, object: object)
        case S_IFLNK:
            guard let link = Self.linkTarget(source) else { return }
            unlink(target)
            if symlink(link, target) != 0 { throw failure("symlink", target) }
        default:
            return
        }
        if archive {
            _ = lchown(target, info.st_uid, info.st_gid)
        } else if geteuid() == 0 {
            _ = lchown(target, 0, 0)
        }
    }

    // MARK: tar streams (`cp … -`)

    /// Writes `path` (inside the container) to `writer` as a tar stream, as `docker cp
    /// SERVICE:PATH -` does: entries named from the path's last component (`dir/file`), or
    /// `./…` for `dir/.`; owners and modes as the container has them; devices, sockets and
    /// fifos left out, as `copyOut` leaves them.
    public func writeArchive(_ path: String, to writer: TarWriter) throws(EngineError) {
        let source = try resolve(path, followLast: path.hasSuffix("/") || path.hasSuffix("/."))
        guard lookup(source) != nil else {
            throw EngineError(.notFound, object: object, "no such file or directory in the container: \(path)")
        }
        try addEntries(source, name: path.hasSuffix("/.") ? "." : source.last ?? ".", to: writer)
    }

    private func addEntries(_ components: [String], name: String, to writer: TarWriter) throws(EngineError) {
        guard let host = lookup(components), let info = Self.info(host) else { return }
        let mode = UInt32(info.st_mode & 0o7777), uid = Int64(info.st_uid), gid = Int64(info.st_gid)
        // The writer stamps every entry with this time: the file's own, as docker cp keeps it.
        writer.modificationTime = Int(info.st_mtim.tv_sec)
        do {
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                try writer.addDirectory(name, mode: mode, uid: uid, gid: gid)
                for child in entries(components) { try addEntries(components + [child], name: name + "/" + child, to: writer) }
            case S_IFREG:
                try writer.addFile(name, from: URL(fileURLWithPath: host), mode: mode, uid: uid, gid: gid, followLink: false)
            case S_IFLNK:
                if let target = Self.linkTarget(host) { try writer.addSymlink(name, target: target) }
            default:
                return
            }
        } catch {
            throw EngineError(.failed, object: object, "writing \(name) to the tar stream: \(error)")
        }
    }

    /// Extracts the tar file `archive` into the directory `path` inside the container, as `docker
    /// cp - SERVICE:DIR` does. The archive is unpacked first into `staging` (a new, empty host
    /// directory) by Images' unpacker, which refuses absolute names, `..` and writes through
    /// links, then copied in as `copyIn` copies, resolved inside the container's root. Owners
    /// are the archive's with `archive`, else the container's root.
    public func extractArchive(_ archive: URL, into path: String, staging: String, keepOwners: Bool) throws(EngineError) {
        let destination = try resolve(path)
        guard let existing = lookup(destination), let info = Self.info(existing), info.st_mode & S_IFMT == S_IFDIR else {
            throw EngineError(.notFound, object: object, "\(path) is not a directory in the container: a tar stream is extracted into a directory")
        }
        do {
            _ = try LayerUnpacker(mode: .plain, restoreOwners: keepOwners && geteuid() == 0)
                .unpack(archive: archive, into: URL(fileURLWithPath: staging, isDirectory: true))
        } catch {
            throw EngineError(.invalidState, object: object, "the tar stream: \(error)")
        }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: staging)) ?? []).sorted()
        let target = path.hasSuffix("/") ? path : path + "/"
        for name in names { try copyIn(staging + "/" + name, to: target, archive: keepOwners) }
    }

    /// In the writable layer of a stopped container, the parent directories of `components` may
    /// exist only in image layers: they are made there with the modes and owners the image gives.
    private func prepareParents(of components: [String]) throws(EngineError) {
        guard layered else { return }
        for depth in 1..<max(components.count, 1) {
            let prefix = Array(components.prefix(depth))
            let path = Self.join(layers[0], prefix)
            if let existing = Self.info(path), !Self.isWhiteout(existing) { continue }
            let model = lookup(prefix).flatMap(Self.info)
            unlink(path)
            if mkdir(path, (model?.st_mode ?? 0o755) & 0o7777) != 0 { throw failure("mkdir", path) }
            if let model { _ = lchown(path, model.st_uid, model.st_gid) }
        }
    }

    // MARK: file system helpers

    private func failure(_ call: String, _ path: String) -> EngineError {
        EngineError(.failed, object: object, "\(call) \(path): \(String(cString: strerror(errno)))")
    }

    /// Copies one regular file; a link or file at `target` is replaced, never written through.
    static func copyFile(_ source: String, _ target: String, mode: mode_t, object: String) throws(EngineError) {
        let input = open(source, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard input >= 0 else { throw EngineError(.failed, object: object, "open \(source): \(String(cString: strerror(errno)))") }
        defer { close(input) }
        if let existing = info(target), existing.st_mode & S_IFMT != S_IFREG { unlink(target) }
        let output = open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode)
        guard output >= 0 else { throw EngineError(.failed, object: object, "open \(target): \(String(cString: strerror(errno)))") }
        defer { close(output) }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                if count < 0 { throw EngineError(.failed, object: object, "read \(source): \(String(cString: strerror(errno)))") }
                break
            }
            var written = 0
            while written < count {
                let step = buffer.withUnsafeBytes { write(output, $0.baseAddress.map { $0 + written }, count - written) }
                if step < 0 && errno == EINTR { continue }
                guard step > 0 else { throw EngineError(.failed, object: object, "write \(target): \(String(cString: strerror(errno)))") }
                written += step
            }
        }
        _ = fchmod(output, mode)
    }

    static func components(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    static func join(_ root: String, _ components: [String]) -> String {
        components.isEmpty ? root : root + "/" + components.joined(separator: "/")
    }

    static func info(_ path: String) -> stat? {
        var result = stat()
        return lstat(path, &result) == 0 ? result : nil
    }

    static func exists(_ path: String) -> Bool { info(path) != nil }

    static func linkTarget(_ path: String) -> String? {
        guard let entry = info(path), entry.st_mode & S_IFMT == S_IFLNK else { return nil }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count >= 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// overlayfs's whiteout: a character device with device number 0/0.
    static func isWhiteout(_ info: stat) -> Bool {
        info.st_mode & S_IFMT == S_IFCHR && info.st_rdev == 0
    }

    /// overlayfs's opaque directory marker.
    static func isOpaque(_ path: String) -> Bool { LayerUnpacker.isOpaqueDirectory(path) }
}
