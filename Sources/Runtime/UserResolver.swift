import OCISpec
import SystemSupport

/// Resolves a user name against the container's own /etc/passwd and /etc/group, never the host's.
public enum UserResolver {
    /// The uid, primary gid and supplementary gids of `name` (a name or a number) in `rootfs`.
    public static func resolve(_ name: String, rootfs: String, container: String) throws(RuntimeError) -> RuntimeSpec.User {
        let passwd = (try? Files.read(rootfs + "/etc/passwd", stage: "user")) ?? ""
        let group = (try? Files.read(rootfs + "/etc/group", stage: "user")) ?? ""
        var user: RuntimeSpec.User
        var userName = name
        if let uid = UInt32(name) {
            user = RuntimeSpec.User(uid: uid, gid: 0)
            if let entry = entries(passwd).first(where: { UInt32($0[2]) == uid }) {
                userName = String(entry[0])
                user.gid = UInt32(entry[3]) ?? 0
            }
        } else if let entry = entries(passwd).first(where: { $0[0] == name }),
                  let uid = UInt32(entry[2]), let gid = UInt32(entry[3]) {
            user = RuntimeSpec.User(uid: uid, gid: gid)
        } else {
            throw RuntimeError(.invalidConfig, container, "user \"\(name)\" not found in the container's /etc/passwd")
        }
        let supplementary = entries(group).compactMap { line -> UInt32? in
            line[3].split(separator: ",").contains(Substring(userName)) ? UInt32(line[2]) : nil
        }
        user.additionalGids = supplementary.isEmpty ? nil : supplementary
        return user
    }

    /// Lines of a passwd/group file split on ':' (at least four fields each).
    private static func entries(_ text: String) -> [[Substring]] {
        text.split(separator: "\n").map { $0.split(separator: ":", omittingEmptySubsequences: false) }
            .filter { $0.count >= 4 }
    }
}
