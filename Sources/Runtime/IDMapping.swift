#if canImport(Glibc)
import Glibc
#endif
import OCISpec
import SystemSupport

/// User-namespace ID maps: the rootful identity map, and rootless maps from /etc/subuid and
/// /etc/subgid.
public enum IDMapping {
    /// A subordinate ID range of one user (a line of /etc/subuid or /etc/subgid).
    public struct Range: Sendable, Hashable, Codable {
        public var start: UInt32
        public var count: UInt32
    }

    /// The ranges of `user` (name or numeric ID) in a subuid/subgid file's text.
    public static func ranges(in text: String, user: String, id: UInt32) -> [Range] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count == 3, fields[0] == user || fields[0] == "\(id)",
                  let start = UInt32(fields[1]), let count = UInt32(fields[2]), count > 0 else { return nil }
            return Range(start: start, count: count)
        }
    }

    /// Root's map: every ID to itself. The user namespace still confines capabilities to the
    /// container (no module loading, no mknod, no host-wide sysctls).
    public static let identity = [RuntimeSpec.IDMapping(containerID: 0, hostID: 0, size: UInt32.max)]

    /// The rootless map: container 0 is the user, 1… are the user's first subordinate range.
    /// Without a range only the user is mapped, and `fallback` says so.
    public static func rootless(hostID: UInt32, ranges: [Range]) -> (maps: [RuntimeSpec.IDMapping], fallback: Bool) {
        guard let range = ranges.first else {
            return ([RuntimeSpec.IDMapping(containerID: 0, hostID: hostID, size: 1)], true)
        }
        return ([RuntimeSpec.IDMapping(containerID: 0, hostID: hostID, size: 1),
                 RuntimeSpec.IDMapping(containerID: 1, hostID: range.start, size: range.count)], false)
    }

    /// The current user's rootless uid and gid maps, read from /etc/subuid and /etc/subgid.
    public static func currentUserMaps() -> (uid: [RuntimeSpec.IDMapping], gid: [RuntimeSpec.IDMapping], fallback: Bool) {
        let uid = getuid(), gid = getgid()
        var name = "\(uid)"
        if let entry = getpwuid(uid), let pwName = entry.pointee.pw_name { name = String(cString: pwName) }
        let subuid = (try? Files.read("/etc/subuid", stage: "id maps")) ?? ""
        let subgid = (try? Files.read("/etc/subgid", stage: "id maps")) ?? ""
        let u = rootless(hostID: uid, ranges: ranges(in: subuid, user: name, id: uid))
        let g = rootless(hostID: gid, ranges: ranges(in: subgid, user: name, id: uid))
        return (u.maps, g.maps, u.fallback || g.fallback)
    }

    /// The text of a uid_map/gid_map file (also newuidmap's arguments, split on white space).
    public static func mapText(_ maps: [RuntimeSpec.IDMapping]) -> String {
        maps.map { "\($0.containerID) \($0.hostID) \($0.size)" }.joined(separator: "\n")
    }
}
