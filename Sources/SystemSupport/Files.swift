#if canImport(Glibc)
import Glibc
#endif

/// Small file helpers with errno-carrying errors.
public enum Files {
    /// Reads a whole file as UTF-8.
    public static func read(_ path: String, stage: String) throws(SystemError) -> String {
        let bytes = try readBytes(path, stage: stage)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Reads a whole file.
    public static func readBytes(_ path: String, stage: String) throws(SystemError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw SystemError(stage: stage, call: "open", object: path, errno: errno) }
        defer { close(fd) }
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError(stage: stage, call: "read", object: path, errno: errno)
            }
            if n == 0 { break }
            result.append(contentsOf: buffer[0..<n])
        }
        return result
    }

    /// Writes a file atomically: a temporary file in the same directory, fsync, rename.
    /// `durable: false` skips the fsync, for state that cannot outlive a reboot anyway (the
    /// runtime's live state about running processes): readers still see the old or the new file.
    public static func writeAtomically(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644, durable: Bool = true,
                                       stage: String) throws(SystemError) {
        let temporary = path + ".tmp"
        let fd = open(temporary, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, mode)
        if fd < 0 { throw SystemError(stage: stage, call: "open", object: temporary, errno: errno) }
        defer { close(fd) }
        do {
            try writeAll(fd, bytes, object: temporary, stage: stage)
        } catch {
            unlink(temporary)
            throw error
        }
        if durable && fsync(fd) < 0 {
            unlink(temporary)
            throw SystemError(stage: stage, call: "fsync", object: temporary, errno: errno)
        }
        if rename(temporary, path) < 0 { throw SystemError(stage: stage, call: "rename", object: path, errno: errno) }
    }

    /// Writes all of `bytes` to `fd`.
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8], object: String, stage: String) throws(SystemError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError(stage: stage, call: "write", object: object, errno: errno)
            }
            offset += n
        }
    }

    /// Creates a directory and its parents.
    public static func makeDirectories(_ path: String, mode: mode_t = 0o755, stage: String) throws(SystemError) {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, mode) < 0 && errno != EEXIST {
                throw SystemError(stage: stage, call: "mkdir", object: current, errno: errno)
            }
        }
    }

    /// Removes a directory tree (not following symlinks).
    public static func removeTree(_ path: String, stage: String) throws(SystemError) {
        var info = stat()
        if lstat(path, &info) < 0 {
            if errno == ENOENT { return }
            throw SystemError(stage: stage, call: "lstat", object: path, errno: errno)
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            for entry in try list(path, stage: stage) { try removeTree(path + "/" + entry, stage: stage) }
            if rmdir(path) < 0 { throw SystemError(stage: stage, call: "rmdir", object: path, errno: errno) }
        } else if unlink(path) < 0 {
            throw SystemError(stage: stage, call: "unlink", object: path, errno: errno)
        }
    }

    /// Names in a directory, without `.` and `..`.
    public static func list(_ path: String, stage: String) throws(SystemError) -> [String] {
        guard let dir = opendir(path) else { throw SystemError(stage: stage, call: "opendir", object: path, errno: errno) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Whether something exists at `path` (without following a final symlink).
    public static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }
}

extension Files {
    /// An open, already unlinked, close-on-exec temporary file in `directory`: a buffer that can be
    /// handed to another process as a descriptor and vanishes with its last descriptor.
    public static func anonymousFile(in directory: String = "/tmp", stage: String) throws(SystemError) -> Int32 {
        var template = Array((directory + "/.berth-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { buffer -> Int32 in
            guard let base = buffer.baseAddress else { return -1 }
            return mkstemp(base)
        }
        if fd < 0 { throw SystemError(stage: stage, call: "mkstemp", object: directory, errno: errno) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        template.withUnsafeBufferPointer { buffer in
            if let base = buffer.baseAddress { _ = unlink(base) }
        }
        return fd
    }
}
