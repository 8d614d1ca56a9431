#if canImport(Glibc)
import Glibc
#endif

/// Device nodes of `linux.devices`: their kinds, and the host's node with a given number for a
/// container that cannot mknod.
enum DeviceNode {
    /// The spec's device types: `c` and `u` (unbuffered) are both character devices.
    enum Kind: String {
        case character = "c", unbuffered = "u", block = "b", fifo = "p"

        /// The file-type bits of st_mode.
        var modeBits: UInt32 {
            switch self {
            case .character, .unbuffered: UInt32(S_IFCHR)
            case .block: UInt32(S_IFBLK)
            case .fifo: UInt32(S_IFIFO)
            }
        }
    }

    /// The kernel's dev_t for major:minor (glibc's makedev, whose macro Swift does not import).
    static func number(major: Int64, minor: Int64) -> UInt64 {
        let major = UInt64(major), minor = UInt64(minor)
        return ((major & 0xFFFF_F000) << 32) | ((major & 0xFFF) << 8) | ((minor & 0xFFFF_FF00) << 12) | (minor & 0xFF)
    }

    /// A host path whose node is `kind` major:minor: `preferring` when it is one, else udev's
    /// /dev/char or /dev/block link, else the first match directly under /dev.
    static func hostNode(kind: Kind, major: Int64, minor: Int64, preferring: String) -> String? {
        let wanted = number(major: major, minor: minor)
        // The /dev scan uses lstat: /dev/stdin and its like are links into /proc/self/fd.
        let matches = { (path: String, follow: Bool) -> Bool in
            var st = stat()
            guard (follow ? stat(path, &st) : lstat(path, &st)) == 0 else { return false }
            return UInt32(st.st_mode) & UInt32(S_IFMT) == kind.modeBits && UInt64(st.st_rdev) == wanted
        }
        if matches(preferring, false) { return preferring }
        let link = (kind == .block ? "/dev/block/" : "/dev/char/") + "\(major):\(minor)"
        if matches(link, true) { return link }
        guard let directory = opendir("/dev") else { return nil }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name.hasPrefix(".") { continue }
            if matches("/dev/" + name, false) { return "/dev/" + name }
        }
        return nil
    }
}
