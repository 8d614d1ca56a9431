import EngineAPI
import OCISpec

/// The process a container runs, merged from the image config and the service as docker does it:
/// a service `entrypoint` replaces the image's entrypoint *and* drops the image's `Cmd` (which was
/// written for the old entrypoint); a service `command` replaces only `Cmd`. The environment is
/// the image's, overridden by name by the service's; the working directory and user are the
/// service's when set, else the image's.
public struct ProcessSettings: Sendable, Hashable, Codable {
    public var args: [String]
    /// `NAME=value` entries: the image's in image order, then the service's new names in name order.
    public var env: [String]
    public var workingDir: String
    /// `uid[:gid]` or names, as written; nil runs as root.
    public var user: String?

    public init(args: [String], env: [String], workingDir: String, user: String?) {
        self.args = args
        self.env = env
        self.workingDir = workingDir
        self.user = user
    }

    /// Merges `image` (nil for an image without a config section) and `spec`. Throws when
    /// neither names a program.
    public init(image: ContainerConfig?, spec: ContainerSpec) throws(EngineError) {
        let entrypoint = spec.entrypoint ?? image?.entrypoint ?? []
        let command = spec.command ?? (spec.entrypoint == nil ? image?.cmd ?? [] : [])
        args = entrypoint + command
        guard let program = args.first, !program.isEmpty else {
            throw EngineError(.invalidState, object: "container \(spec.name)",
                              "neither the image \(spec.image) nor the service sets a command: add `command:` or `entrypoint:` to the service")
        }
        var env = image?.env ?? []
        for name in spec.environment.keys.sorted() {
            let entry = name + "=" + (spec.environment[name] ?? "")
            if let index = env.firstIndex(where: { $0 == name || $0.hasPrefix(name + "=") }) {
                env[index] = entry
            } else {
                env.append(entry)
            }
        }
        self.env = env
        let directory = spec.workingDir ?? image?.workingDir ?? ""
        workingDir = directory.isEmpty ? "/" : directory
        let user = spec.user ?? image?.user ?? ""
        self.user = user.isEmpty ? nil : user
    }

    /// The OCI user: numeric parts as they are; a name is left for the runtime to look up, with
    /// its primary group, in the container's /etc/passwd.
    func ociUser(container: String) throws(EngineError) -> RuntimeSpec.User {
        guard let user else { return RuntimeSpec.User() }
        let parts = user.split(separator: ":", maxSplits: 1).map(String.init)
        let name = parts.first ?? ""
        let group: UInt32? = parts.count > 1 ? UInt32(parts[1]) : nil
        if parts.count > 1 && group == nil {
            throw EngineError(.unsupported, object: "container \(container)",
                              "user \"\(user)\": a group given by name is not supported yet; use a numeric gid")
        }
        if let uid = UInt32(name) { return RuntimeSpec.User(uid: uid, gid: group ?? 0) }
        if group != nil {
            throw EngineError(.unsupported, object: "container \(container)",
                              "user \"\(user)\": a user name with a group is not supported yet; use uid:gid")
        }
        return RuntimeSpec.User(username: name)
    }
}
