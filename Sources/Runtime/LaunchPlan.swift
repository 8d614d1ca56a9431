#if canImport(Glibc)
import Glibc
#endif
import OCISpec
import SystemSupport

/// Everything berth-init needs, worked out in Swift from a bundle: namespaces, ID maps, mounts,
/// identity, capabilities as masks, the compiled seccomp filter. Errors in the spec surface
/// here, before any process or namespace exists.
struct LaunchPlan {
    var config = InitConfig()
    var warnings: [String] = []

    static let namespaceFlags: [String: Int32] = [
        "mount": 0x0002_0000, "uts": 0x0400_0000, "ipc": 0x0800_0000, "user": 0x1000_0000,
        "pid": 0x2000_0000, "network": 0x4000_0000, "cgroup": 0x0200_0000,
    ]

    static let rlimitNumbers: [String: Int32] = [
        "RLIMIT_CPU": 0, "RLIMIT_FSIZE": 1, "RLIMIT_DATA": 2, "RLIMIT_STACK": 3, "RLIMIT_CORE": 4, "RLIMIT_RSS": 5,
        "RLIMIT_NPROC": 6, "RLIMIT_NOFILE": 7, "RLIMIT_MEMLOCK": 8, "RLIMIT_AS": 9, "RLIMIT_LOCKS": 10,
        "RLIMIT_SIGPENDING": 11, "RLIMIT_MSGQUEUE": 12, "RLIMIT_NICE": 13, "RLIMIT_RTPRIO": 14, "RLIMIT_RTTIME": 15,
    ]

    /// The sizes of berth-init's fixed tables (berth-init.c, struct config).
    static let maxSysctls = 64, maxDevices = 64

    /// Host devices bind-mounted into every container's /dev.
    static let defaultDevices = ["/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"]

    /// `terminalToMonitor`: with `process.terminal`, the monitor itself keeps the pty master (to
    /// capture the output into the container's log) instead of a console socket's listener.
    /// `overlay`: how an overlay root filesystem is mounted (see `OverlayDriver`).
    init(id: String, bundle: RuntimeBundle, stateDirectory: String, consoleSocket: String?,
         terminalToMonitor: Bool = false, overlay: OverlayDriver = .auto) throws(RuntimeError) {
        let spec = bundle.spec
        let linux = spec.linux ?? RuntimeSpec.Linux()
        guard let process = spec.process else { throw RuntimeError(.invalidConfig, id, "process is required") }
        let rootless = geteuid() != 0

        // Namespaces.
        var cloneFlags: Int32 = 0
        var createsUserNamespace = false, joinsUserNamespace = false
        // berth-init joins in record order: user first, mount last (see berth-init.c).
        let joinOrder = ["user", "ipc", "uts", "network", "pid", "cgroup", "mount"]
        let namespaces = (linux.namespaces ?? []).sorted {
            (joinOrder.firstIndex(of: $0.type) ?? 0) < (joinOrder.firstIndex(of: $1.type) ?? 0)
        }
        for namespace in namespaces {
            guard let flag = Self.namespaceFlags[namespace.type] else {
                throw RuntimeError(.invalidConfig, id, "linux.namespaces: unknown namespace type \"\(namespace.type)\"")
            }
            if let path = namespace.path {
                config.add("join", fields: ["\(flag)", path])
                if namespace.type == "user" { joinsUserNamespace = true }
            } else {
                cloneFlags |= flag
                if namespace.type == "user" { createsUserNamespace = true }
            }
        }
        // Joining one (the per-user network namespace's, issue 5) does as well as making one.
        if rootless && !createsUserNamespace && !joinsUserNamespace {
            throw RuntimeError(.invalidConfig, id, "an unprivileged user needs a user namespace: add {\"type\": \"user\"} to linux.namespaces (or use `berth runtime spec --rootless`)")
        }
        config.add("clone", "\(cloneFlags)")

        // ID maps.
        if createsUserNamespace {
            var uidMaps = linux.uidMappings ?? [], gidMaps = linux.gidMappings ?? []
            if uidMaps.isEmpty || gidMaps.isEmpty {
                if rootless {
                    let maps = IDMapping.currentUserMaps()
                    uidMaps = maps.uid
                    gidMaps = maps.gid
                    if maps.fallback { warnings.append(Self.fallbackWarning) }
                } else {
                    uidMaps = IDMapping.identity
                    gidMaps = IDMapping.identity
                }
            }
            config.add("uidmap", IDMapping.mapText(uidMaps))
            config.add("gidmap", IDMapping.mapText(gidMaps))
            if rootless {
                // The kernel lets an unprivileged process write only a map of its own ID;
                // anything wider goes through the setuid helpers, which check /etc/subuid.
                let selfOnly = { (maps: [RuntimeSpec.IDMapping], id: UInt32) in maps.count == 1 && maps[0].size == 1 && maps[0].hostID == id }
                if selfOnly(uidMaps, getuid()) && selfOnly(gidMaps, getgid()) {
                    config.add("setgroupsdeny")
                } else {
                    guard let newuidmap = Self.which("newuidmap"), let newgidmap = Self.which("newgidmap") else {
                        throw RuntimeError(.idMapping, id, "newuidmap/newgidmap not found: install the uidmap package, or map only your own ID")
                    }
                    config.add("uidhelper", newuidmap)
                    config.add("gidhelper", newgidmap)
                }
            }
        }

        if process.terminal == true && terminalToMonitor && consoleSocket == nil {
            config.add("logterminal")
        } else if process.terminal == true {
            guard let consoleSocket else {
                throw RuntimeError(.invalidConfig, id, "process.terminal is true: pass --console-socket PATH to receive the pty master, or set terminal to false")
            }
            config.add("console", consoleSocket)
        } else if consoleSocket != nil {
            throw RuntimeError(.invalidConfig, id, "--console-socket is only used when process.terminal is true in config.json")
        }
        if let hostname = spec.hostname {
            // Without its own UTS namespace the container would rename the host.
            guard cloneFlags & Self.namespaceFlags["uts", default: 0] != 0 else {
                throw RuntimeError(.invalidConfig, id, "hostname needs a new uts namespace: add {\"type\": \"uts\"} to linux.namespaces or remove hostname")
            }
            config.add("hostname", hostname)
        }

        try addSysctls(linux.sysctl ?? [:], namespaces: linux.namespaces ?? [], id: id)

        // Root filesystem and mounts.
        config.add("rootfs", bundle.rootfs)
        if let propagation = linux.rootfsPropagation {
            guard let flags = MountOptions.rootPropagation(propagation) else {
                throw RuntimeError(.invalidConfig, id, "linux.rootfsPropagation: unknown value \"\(propagation)\"")
            }
            config.add("rootprop", "\(flags)")
        }
        for (index, mount) in (spec.mounts ?? []).enumerated() {
            // An overlay mount on "/" is the root filesystem itself (lower dirs plus the
            // container's upper dir), mounted on root.path, which must then be an empty directory.
            if mount.destination == "/" && mount.type == "overlay" {
                let options = MountOptions(mount.options ?? []).data
                guard options.contains(where: { $0.hasPrefix("lowerdir=") }) else {
                    throw RuntimeError(.invalidConfig, id, "mounts[\(index)]: an overlay root filesystem needs lowerdir= (and upperdir=, workdir= to be writable)")
                }
                let resolved = options.map { Self.resolveOverlayOption($0, bundle: bundle.path) }
                config.add("rootoverlay", resolved.joined(separator: ","))
                try addFuseOverlay(overlay, options: resolved, stateDirectory: stateDirectory, id: id)
                continue
            }
            guard mount.destination.hasPrefix("/") else {
                throw RuntimeError(.invalidConfig, id, "mounts[\(index)].destination must be absolute, not \"\(mount.destination)\"")
            }
            if mount.type == "cgroup" || mount.type == "cgroup2" {
                // The container's own cgroups, whatever the host's layout: berth-init works out
                // what to mount from /proc/self/cgroup (see mount_cgroups in berth-init.c).
                config.add("cgroupfs", fields: [mount.destination, "\(MountOptions(mount.options ?? []).flags)"])
                continue
            }
            let options = MountOptions(mount.options ?? [])
            var source = mount.source ?? (mount.type ?? "none")
            if options.flags & MountOptions.bind != 0 && !source.hasPrefix("/") { source = bundle.path + "/" + source }
            config.add("mount", fields: [source, mount.destination, mount.type ?? "none", "\(options.flags)",
                                         "\(options.propagation)", options.data.joined(separator: ",")])
        }
        // A container in a user namespace (always, rootless; new or joined) cannot mknod.
        let ownsUserNamespace = (linux.namespaces ?? []).contains { $0.type == "user" }
        try addDevices(linux.devices ?? [], mknod: !ownsUserNamespace, id: id)
        for path in linux.maskedPaths ?? [] { config.add("mask", path) }
        for path in linux.readonlyPaths ?? [] { config.add("ro", path) }
        if spec.root?.readonly == true { config.add("rootro") }

        try addProcess(process, linux: linux, rootfs: bundle.rootfs, id: id)
        if spec.annotations?[ContainerRuntime.initAnnotation] == "true" { config.add("init") }
        config.add("exitfile", stateDirectory + "/exit.json")
    }

    /// The plan of `berth runtime exec`: join the namespaces of the running container `pid`
    /// and run `process` with the container's capabilities, no_new_privs and seccomp profile;
    /// with a console socket, its stdio is a new pty of the container's devpts.
    init(execIn id: String, pid: Int32, spec: RuntimeSpec, rootfs: String, process: RuntimeSpec.Process,
         cgroupProcs: [String], consoleSocket: String? = nil) throws(RuntimeError) {
        let linux = spec.linux ?? RuntimeSpec.Linux()
        config.add("exec")
        config.add("clone", "0")
        if let consoleSocket { config.add("console", consoleSocket) }
        // User first: it gives the capabilities to join the others. Mount last: after it the
        // host's paths no longer resolve.
        let order = ["user", "ipc", "uts", "network", "pid", "cgroup", "mount"]
        let kernelNames = ["user": "user", "ipc": "ipc", "uts": "uts", "network": "net", "pid": "pid", "cgroup": "cgroup", "mount": "mnt"]
        let present = Set((linux.namespaces ?? []).map(\.type))
        for type in order where present.contains(type) {
            guard let flag = Self.namespaceFlags[type], let name = kernelNames[type] else { continue }
            config.add("join", fields: ["\(flag)", "/proc/\(pid)/ns/\(name)"])
        }
        for file in cgroupProcs { config.add("cgroup", file) }
        try addProcess(process, linux: linux, rootfs: rootfs, id: id)
    }

    /// Identity, environment, capabilities, rlimits, no_new_privs and seccomp of a process.
    private mutating func addProcess(_ process: RuntimeSpec.Process, linux: RuntimeSpec.Linux, rootfs: String, id: String) throws(RuntimeError) {
        // Process.
        for limit in process.rlimits ?? [] {
            guard let number = Self.rlimitNumbers[limit.type] else {
                throw RuntimeError(.invalidConfig, id, "process.rlimits: unknown type \"\(limit.type)\"")
            }
            config.add("rlimit", "\(number) \(limit.soft) \(limit.hard)")
        }
        config.add("cwd", process.cwd)
        for arg in process.args ?? [] { config.add("arg", arg) }
        for variable in process.env ?? [] { config.add("env", variable) }
        var user = process.user
        if let name = user.username { user = try UserResolver.resolve(name, rootfs: rootfs, container: id) }
        config.add("uid", "\(user.uid)")
        config.add("gid", "\(user.gid)")
        for group in user.additionalGids ?? [] { config.add("group", "\(group)") }
        if let caps = process.capabilities {
            let masks = [try Capabilities.mask(caps.effective, container: id), try Capabilities.mask(caps.permitted, container: id),
                         try Capabilities.mask(caps.inheritable, container: id), try Capabilities.mask(caps.bounding, container: id),
                         try Capabilities.mask(caps.ambient, container: id)]
            config.add("caps", masks.map { String($0, radix: 16) }.joined(separator: " "))
        } else {
            config.add("caps", "0 0 0 0 0")
        }
        if process.noNewPrivileges ?? false { config.add("nnp") }
        if let seccomp = linux.seccomp { config.add("seccomp", try SeccompProfile.compile(seccomp, container: id)) }
    }

    /// `linux.sysctl`, checked: only namespaced keys, and only when the container has that
    /// namespace to itself (new, or joined by a path that is not the host's). berth-init writes
    /// them under the container's /proc/sys, before /proc/sys is made read-only.
    private mutating func addSysctls(_ sysctls: [String: String], namespaces: [RuntimeSpec.Namespace], id: String) throws(RuntimeError) {
        let kernelNames = ["network": "net", "ipc": "ipc", "uts": "uts"]
        guard sysctls.count <= Self.maxSysctls else {
            throw RuntimeError(.invalidConfig, id, "linux.sysctl: \(sysctls.count) keys; berth-init takes at most \(Self.maxSysctls)")
        }
        for key in sysctls.keys.sorted() {
            let value = sysctls[key] ?? ""
            guard let path = Sysctl.path(of: key) else {
                throw RuntimeError(.invalidConfig, id, "linux.sysctl: malformed key \"\(key)\" (expected e.g. net.ipv4.ip_forward)")
            }
            guard let type = Sysctl.namespace(of: key) else {
                throw RuntimeError(.invalidConfig, id, "linux.sysctl: \"\(key)\" is not namespaced and would change the host: remove it (allowed: \(Sysctl.namespacedKeys))")
            }
            let namespace = namespaces.first { $0.type == type }
            let isPrivate: Bool
            if let namespace {
                isPrivate = namespace.path.map { !Self.isSameNamespace($0, "/proc/self/ns/" + (kernelNames[type] ?? type)) } ?? true
            } else {
                isPrivate = false
            }
            guard isPrivate else {
                throw RuntimeError(.invalidConfig, id, "linux.sysctl: \"\(key)\" needs a private \(type) namespace, or it would change the host's: add {\"type\": \"\(type)\"} to linux.namespaces or remove the key")
            }
            guard !value.contains("\n") else {
                throw RuntimeError(.invalidConfig, id, "linux.sysctl: the value of \"\(key)\" contains a newline")
            }
            // /proc/sys/kernel/domainname belongs to the host's root even in a private uts
            // namespace; setdomainname(2) needs only CAP_SYS_ADMIN over that namespace, which the
            // container's root has rootless too.
            if path == "/proc/sys/kernel/domainname" {
                config.add("domainname", value)
            } else {
                config.add("sysctl", fields: [path, value])
            }
        }
    }

    /// Whether two namespace files name the same namespace (same device and inode).
    static func isSameNamespace(_ a: String, _ b: String) -> Bool {
        var first = stat(), second = stat()
        guard stat(a, &first) == 0, stat(b, &second) == 0 else { return false }
        return first.st_dev == second.st_dev && first.st_ino == second.st_ino
    }

    /// `linux.devices` and the default devices. Without a user namespace of its own the
    /// container gets real nodes (mknod, with the spec's mode and owner); in one, mknod of a
    /// character or block device needs CAP_MKNOD in the initial user namespace, so the host's
    /// node with the same number is bind-mounted instead, with a warning. FIFOs need no
    /// privilege and are always made.
    private mutating func addDevices(_ devices: [RuntimeSpec.Device], mknod: Bool, id: String) throws(RuntimeError) {
        guard devices.count <= Self.maxDevices else {
            throw RuntimeError(.invalidConfig, id, "linux.devices: \(devices.count) devices; berth-init takes at most \(Self.maxDevices)")
        }
        for (index, device) in devices.enumerated() {
            let place = "linux.devices[\(index)] (\(device.path))"
            guard device.path.hasPrefix("/"), !device.path.split(separator: "/").contains("..") else {
                throw RuntimeError(.invalidConfig, id, "\(place): path must be absolute and without \"..\"")
            }
            guard let kind = DeviceNode.Kind(rawValue: device.type) else {
                throw RuntimeError(.invalidConfig, id, "\(place): unknown type \"\(device.type)\" (expected c, b, u or p)")
            }
            let major = device.major ?? 0, minor = device.minor ?? 0
            if kind != .fifo {
                guard device.major != nil, device.minor != nil else {
                    throw RuntimeError(.invalidConfig, id, "\(place): a \(kind == .block ? "block" : "character") device needs major and minor")
                }
            }
            guard (0...0xFFF).contains(major), (0...0xFFFFF).contains(minor) else {
                throw RuntimeError(.invalidConfig, id, "\(place): major \(major) or minor \(minor) is out of range")
            }
            let permissions = (device.fileMode ?? 0o666) & 0o7777
            if mknod || kind == .fifo {
                config.add("mknod", fields: [device.path, "\(kind.modeBits | permissions)", "\(major)", "\(minor)",
                                             "\(device.uid ?? 0)", "\(device.gid ?? 0)"])
                continue
            }
            guard let source = DeviceNode.hostNode(kind: kind, major: major, minor: minor, preferring: device.path) else {
                throw RuntimeError(.invalidConfig, id, "\(place): mknod is not permitted in a user namespace, and the host has no \(kind == .block ? "block" : "character") device \(major):\(minor) to bind-mount: remove the device or run as root without a user namespace")
            }
            // Specs written by docker or podman list the default devices: binding those from
            // their own paths is what Berth always does, not worth a warning.
            if !(source == device.path && Self.defaultDevices.contains(source)) {
                warnings.append("\(place): mknod is not permitted in a user namespace; bind-mounted the host's \(source) instead (mode and owner are the host's, not fileMode/uid/gid)")
            }
            config.add("device", fields: [source, device.path])
        }
        let listed = Set(devices.map(\.path))
        for path in Self.defaultDevices where !listed.contains(path) { config.add("device", fields: [path, path]) }
    }

    /// The fuse-overlayfs fallback of an overlay root: the program, whether it is forced, and
    /// where the monitor records the daemon's PID (for `delete`, should the monitor be killed)
    /// and its messages.
    private mutating func addFuseOverlay(_ driver: OverlayDriver, options: [String], stateDirectory: String, id: String) throws(RuntimeError) {
        guard driver != .native else { return }
        let program = Self.which("fuse-overlayfs")
        if driver == .fuseOverlayfs {
            guard let program else {
                throw RuntimeError(.invalidConfig, id, "\(OverlayDriver.environmentVariable)=fuse-overlayfs, but fuse-overlayfs is not installed: install the fuse-overlayfs package or unset \(OverlayDriver.environmentVariable)")
            }
            config.add("fuseforce")
            config.add("fuseoverlay", program)
        } else if let program {
            config.add("fuseoverlay", program)
        } else {
            return
        }
        config.add("fuseoptions", OverlayDriver.fuseOptions(options).joined(separator: ","))
        config.add("fusepidfile", stateDirectory + "/" + ContainerRuntime.fuseOverlayPIDFile)
        config.add("fuselog", stateDirectory + "/fuse-overlayfs.log")
        config.add("fuseroot", stateDirectory + "/fuse-root")
    }

    /// Makes the directories of an overlay option absolute, relative to the bundle like root.path.
    static func resolveOverlayOption(_ option: String, bundle: String) -> String {
        let parts = option.split(separator: "=", maxSplits: 1)
        guard parts.count == 2, ["lowerdir", "upperdir", "workdir"].contains(parts[0]) else { return option }
        let dirs = parts[1].split(separator: ":").map { $0.hasPrefix("/") ? String($0) : bundle + "/" + $0 }
        return "\(parts[0])=" + dirs.joined(separator: ":")
    }

    static let fallbackWarning = "no range for this user in /etc/subuid or /etc/subgid: only your own ID is mapped (container root); other IDs in the image appear as nobody. Add a range, e.g. `usermod --add-subuids 100000-165535 --add-subgids 100000-165535 $USER`"

    /// The absolute path of a program on PATH (or the usual system directories).
    static func which(_ program: String) -> String? {
        var directories = ["/usr/bin", "/usr/sbin", "/bin", "/sbin"]
        if let path = getenv("PATH") { directories = String(cString: path).split(separator: ":").map(String.init) + directories }
        return directories.map { $0 + "/" + program }.first { access($0, X_OK) == 0 }
    }
}
