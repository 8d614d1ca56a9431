#if canImport(Glibc)
import Glibc
#endif
import EngineAPI
import OCISpec

extension BundleBuilder {
    /// `sysctls`, `domainname`, `devices` and `group_add`, handed to the runtime, which checks
    /// what it cannot do safely (a sysctl that is not namespaced, or whose namespace is the
    /// host's) and refuses it naming the key.
    func applyKernelSettings(_ oci: inout RuntimeSpec) throws(EngineError) {
        var sysctls = spec.security.sysctls
        if let domainname = spec.domainname, sysctls["kernel.domainname"] == nil {
            // The runtime sets it with setdomainname(2) in the container's own uts namespace.
            sysctls["kernel.domainname"] = domainname
        }
        if !sysctls.isEmpty { oci.linux?.sysctl = sysctls }

        var devices: [RuntimeSpec.Device] = []
        for entry in spec.security.devices {
            devices.append(try device(entry))
        }
        if !devices.isEmpty { oci.linux?.devices = devices }

        if !spec.groupAdd.isEmpty {
            var groups: [UInt32] = []
            for group in spec.groupAdd {
                guard let gid = UInt32(group) else {
                    throw EngineError(.unsupported, object: object,
                                      "group_add \"\(group)\": a group given by name is not supported yet; use its numeric gid")
                }
                groups.append(gid)
            }
            if let name = oci.process?.user.username {
                throw EngineError(.unsupported, object: object,
                                  "group_add with a user given by name (\(name)) is not supported yet: give user as uid:gid")
            }
            let existing = oci.process?.user.additionalGids ?? []
            oci.process?.user.additionalGids = existing + groups
        }
    }

    /// One `devices` entry, `HOST[:CONTAINER[:PERMISSIONS]]`: the host node's kind and number,
    /// at the container path. The permissions (`rwm`) are cgroup device rules, which Berth does
    /// not set: the container may use the node as its file mode allows.
    func device(_ entry: String) throws(EngineError) -> RuntimeSpec.Device {
        let parts = entry.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        let host = parts.first ?? entry
        let target = parts.count > 1 && !parts[1].isEmpty ? parts[1] : host
        var info = stat()
        guard stat(host, &info) == 0 else {
            throw EngineError(.notFound, object: object, "devices: \(host): \(String(cString: strerror(errno)))")
        }
        let kind: String
        switch info.st_mode & S_IFMT {
        case S_IFCHR: kind = "c"
        case S_IFBLK: kind = "b"
        default:
            throw EngineError(.invalidState, object: object, "devices: \(host) is not a device node (a directory of devices is not supported)")
        }
        let number = UInt64(info.st_rdev)
        // glibc's major()/minor(), which Swift does not import.
        let major = Int64(((number >> 32) & 0xFFFF_F000) | ((number >> 8) & 0xFFF))
        let minor = Int64(((number >> 12) & 0xFFFF_FF00) | (number & 0xFF))
        return RuntimeSpec.Device(type: kind, path: target, major: major, minor: minor,
                                  fileMode: UInt32(info.st_mode & 0o7777), uid: info.st_uid, gid: info.st_gid)
    }

    var object: String { "container \(spec.name)" }
}
