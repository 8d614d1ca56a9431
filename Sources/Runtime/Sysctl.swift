/// Which `linux.sysctl` keys a container may set. Only sysctls that the kernel keeps per
/// namespace are allowed, and only when the container has that namespace to itself: anything
/// else would change the host (or a namespace shared with other containers).
enum Sysctl {
    /// The namespace (spec name) that holds `key`, or nil when the key is global to the host.
    /// As runc and podman do: `net.*` live in the network namespace; the System V IPC limits
    /// and POSIX message queue limits in the IPC namespace; the NIS domain name in the UTS one
    /// (`kernel.hostname` is left to the spec's `hostname`).
    static func namespace(of key: String) -> String? {
        let dotted = String(key.map { $0 == "/" ? "." : $0 })
        if dotted.hasPrefix("net.") { return "network" }
        if dotted.hasPrefix("fs.mqueue.") { return "ipc" }
        let ipcKeys = ["kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall", "kernel.shmmax",
                       "kernel.shmmni", "kernel.shm_rmid_forced"]
        if ipcKeys.contains(dotted) { return "ipc" }
        if dotted == "kernel.domainname" { return "uts" }
        return nil
    }

    /// The file under /proc/sys that holds `key`, or nil for a malformed key. A key in slash form
    /// (`net/ipv4/conf/eth0.100/forwarding`) keeps its dots, which interface names may contain;
    /// in dot form every dot separates components.
    static func path(of key: String) -> String? {
        let components = key.contains("/") ? key.split(separator: "/", omittingEmptySubsequences: false)
                                            : key.split(separator: ".", omittingEmptySubsequences: false)
        guard !components.isEmpty, !components.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) else { return nil }
        return "/proc/sys/" + components.joined(separator: "/")
    }

    static let namespacedKeys = "net.* (private network namespace), kernel.shm*, kernel.msg*, kernel.sem and fs.mqueue.* (private ipc namespace), kernel.domainname (private uts namespace)"
}
