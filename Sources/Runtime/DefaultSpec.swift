import OCISpec

/// The `config.json` that `berth runtime spec` writes: runc's example layout with Berth's
/// security defaults (podman's capabilities, seccomp profile, masked and read-only paths).
public enum DefaultSpec {
    /// Paths hidden from the container, as podman masks them.
    public static let maskedPaths = [
        "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
        "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/fs/selinux", "/sys/dev/block",
        "/sys/devices/virtual/powercap",
    ]

    /// Paths the container may read but not write, as podman sets them.
    public static let readonlyPaths = ["/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]

    /// A default specification. `rootless` maps the calling user's IDs from /etc/subuid and
    /// /etc/subgid (`uidMappings`/`gidMappings` passed in), and leaves out mount options that
    /// need unmapped groups.
    public static func make(rootless: Bool, uidMappings: [RuntimeSpec.IDMapping], gidMappings: [RuntimeSpec.IDMapping]) -> RuntimeSpec {
        let caps = Capabilities.defaultSet
        var ptsOptions = ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]
        if !rootless { ptsOptions.append("gid=5") }
        let mounts: [RuntimeSpec.Mount] = [
            .init(destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"]),
            .init(destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"]),
            .init(destination: "/dev/pts", type: "devpts", source: "devpts", options: ptsOptions),
            .init(destination: "/dev/shm", type: "tmpfs", source: "shm", options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]),
            .init(destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"]),
            .init(destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"]),
            // The container's own cgroups, read-only, as podman and runc's example spec have it.
            .init(destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["nosuid", "noexec", "nodev", "relatime", "ro"]),
        ]
        let namespaces = ["pid", "network", "ipc", "uts", "mount", "cgroup", "user"].map { RuntimeSpec.Namespace(type: $0) }
        return RuntimeSpec(
            process: .init(terminal: false, user: .init(uid: 0, gid: 0), args: ["sh"],
                           env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
                           cwd: "/",
                           capabilities: .init(bounding: caps, effective: caps, inheritable: nil, permitted: caps, ambient: nil),
                           rlimits: [.init(type: "RLIMIT_NOFILE", soft: 1024, hard: 1024)],
                           noNewPrivileges: true),
            root: .init(path: "rootfs", readonly: true),
            hostname: "berth",
            mounts: mounts,
            linux: .init(namespaces: namespaces, uidMappings: uidMappings, gidMappings: gidMappings,
                         seccomp: SeccompProfile.defaultProfile(capabilities: caps),
                         maskedPaths: maskedPaths, readonlyPaths: readonlyPaths))
    }
}
