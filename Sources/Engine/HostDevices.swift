#if canImport(Glibc)
import Glibc
#endif

/// The host's device nodes a privileged container gets, found under /dev as runc's HostDevices
/// finds them: character and block devices, not in the directories the container has its own
/// of (`pts`, `shm`, `mqueue`, `fd`), and not the console, `ptmx` or the devices every container
/// already has. Rootless, only those this user may open: the others would be bound in but
/// unusable.
enum HostDevices {
    /// Nodes every container gets from the runtime, and ones a container has its own of.
    static let skipped: Set<String> = [
        "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty", "/dev/console", "/dev/ptmx",
    ]
    static let skippedDirectories: Set<String> = ["/dev/pts", "/dev/shm", "/dev/mqueue", "/dev/fd", "/dev/.udev"]

    static func list(rootless: Bool, root: String = "/dev") -> [String] {
        var found: [String] = []
        walk(root, rootless: rootless, into: &found, depth: 0)
        return found.sorted()
    }

    private static func walk(_ directory: String, rootless: Bool, into found: inout [String], depth: Int) {
        guard depth < 8, !skippedDirectories.contains(directory), let handle = opendir(directory) else { return }
        defer { closedir(handle) }
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name == "." || name == ".." { continue }
            let path = directory + "/" + name
            var info = stat()
            // lstat: /dev/stdin and /dev/core are links, and udev's /dev/char links repeat nodes.
            guard lstat(path, &info) == 0 else { continue }
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                walk(path, rootless: rootless, into: &found, depth: depth + 1)
            case S_IFCHR, S_IFBLK:
                if skipped.contains(path) { continue }
                if rootless && access(path, R_OK) != 0 && access(path, W_OK) != 0 { continue }
                found.append(path)
            default:
                continue
            }
        }
    }
}
