#if canImport(Glibc)
import Glibc
#endif
import OCISpec
import SystemSupport

/// One container's cgroup, behind one interface with a v1 and a v2 backend.
///
/// The directories are created by `berth` before the container exists; berth-init writes the
/// container's PID into them (`procsFiles`) before the container runs any code, so nothing the
/// container forks escapes its limits.
public protocol CgroupManager: Sendable {
    /// Where the cgroup is, as recorded in the container's state.
    var location: CgroupLocation { get }
    /// The cgroup directories, one per hierarchy used.
    var directories: [String] { get }
    /// The `cgroup.procs` files berth-init adds the container to.
    var procsFiles: [String] { get }
    /// Creates the directories and applies `resources`; returns warnings for limits it could not apply.
    func create(_ resources: RuntimeSpec.Resources?) throws(RuntimeError) -> [String]
    /// Freezes (pause) or thaws (resume) every process of the container.
    func setFrozen(_ frozen: Bool) throws(RuntimeError)
    /// Whether the container is frozen.
    var isFrozen: Bool { get }
    /// PIDs (host view) of every process in the container.
    func processes() -> [Int32]
    /// Removes the directories; the container's processes must be gone.
    func destroy()
}

/// A container's cgroup path and hierarchy kind, kept in its state record.
public struct CgroupLocation: Sendable, Hashable, Codable {
    /// The path below each hierarchy's root, e.g. `/berth/web-1`.
    public var path: String
    /// cgroup v2 (unified) rather than v1 controller hierarchies.
    public var unified: Bool
    /// Where the v2 hierarchy is mounted: /sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid
    /// host (a rootless container in a delegated v2 subtree). nil in records written before
    /// hybrid hosts were handled, which meant /sys/fs/cgroup.
    public var root: String?
}

/// Chooses the backend for this host.
public enum Cgroups {
    /// Polls `done` every 10 ms for up to two seconds; an operation the kernel does not finish
    /// in that time is an error naming it, never a silent return.
    static func waitUntil(id: String, what: String, system: any Syscalls,
                          _ done: () throws(RuntimeError) -> Bool) throws(RuntimeError) {
        for _ in 0..<200 {
            if try done() { return }
            system.pause(milliseconds: 10)
        }
        throw RuntimeError(.system, id, "\(what) the container's cgroup did not complete within 2 s")
    }

    /// The v2 hierarchy's mount point: /sys/fs/cgroup on a unified host, /sys/fs/cgroup/unified
    /// on a hybrid one (v1 controllers, v2 for process tracking only), nil on a v1-only host.
    static func unifiedRoot(system: any Syscalls) -> String? {
        if system.exists("/sys/fs/cgroup/cgroup.controllers") { return "/sys/fs/cgroup" }
        if system.exists("/sys/fs/cgroup/unified/cgroup.controllers") { return "/sys/fs/cgroup/unified" }
        return nil
    }

    /// This process's cgroup in the v2 hierarchy (the `0::` line of /proc/self/cgroup).
    static func ownUnifiedPath(system: any Syscalls) -> String? {
        let lines = ((try? system.read("/proc/self/cgroup", stage: "cgroups")) ?? "").split(separator: "\n")
        return lines.first { $0.hasPrefix("0::") }.map { String($0.dropFirst(3)) }
    }

    /// The subtree of the v2 hierarchy delegated to this user: the highest ancestor of this
    /// process's own cgroup that the user owns, as systemd's `Delegate=yes` (user@.service, or a
    /// unit Berth generates) leaves it. nil when the user owns none.
    static func delegatedRoot(unifiedRoot root: String, system: any Syscalls, euid: UInt32 = geteuid()) -> String? {
        guard let own = ownUnifiedPath(system: system) else { return nil }
        var delegated: String?
        var path = own
        while path != "/" && !path.isEmpty && system.owner(root + path) == euid {
            delegated = path
            path = parent(path)
        }
        return delegated
    }

    /// A manager for the container `id` at `path` (linux.cgroupsPath, or `berth/<id>`), or nil with
    /// a warning when this user cannot manage cgroups here (rootless without a delegated v2 tree).
    ///
    /// As root an absolute or relative path is below each hierarchy's root. Rootless, an
    /// absolute path is too (its parent must be writable), and a relative one (the default
    /// included) is below the delegated subtree, which is where the user may create cgroups.
    public static func manager(id: String, path: String?, system: any Syscalls = LinuxSyscalls()) -> (manager: (any CgroupManager)?, warning: String?) {
        manager(id: id, path: path, system: system, euid: geteuid())
    }

    static func manager(id: String, path: String?, system: any Syscalls, euid: UInt32) -> (manager: (any CgroupManager)?, warning: String?) {
        let relative = path.map { $0.hasPrefix("/") ? $0 : "/" + $0 } ?? "/berth/\(id)"
        let unified = unifiedRoot(system: system)
        if euid == 0 {
            if unified == "/sys/fs/cgroup" {
                return (CgroupV2(root: "/sys/fs/cgroup", path: relative, id: id, system: system), nil)
            }
            return (CgroupV1(relative: relative, id: id, system: system), nil)
        }
        guard let unified else {
            return (nil, "cgroups v1 cannot be managed by an unprivileged user: resource limits and pause/resume are not available")
        }
        if let path, path.hasPrefix("/") {
            guard system.isWritable(unified + parent(path)) else {
                return (nil, "cgroup v2 tree \(parent(path)) is not delegated to this user: resource limits and pause/resume are not available")
            }
            return (CgroupV2(root: unified, path: path, id: id, system: system), nil)
        }
        guard let delegated = delegatedRoot(unifiedRoot: unified, system: system, euid: euid), system.isWritable(unified + delegated) else {
            let own = ownUnifiedPath(system: system) ?? "?"
            return (nil, "no cgroup v2 subtree is delegated to this user (this process is in \(unified)\(own), which it does not own; systemd's user@.service delegates one with Delegate=yes): resource limits and pause/resume are not available")
        }
        return (CgroupV2(root: unified, path: delegated + relative, id: id, system: system, delegatedRoot: delegated), nil)
    }

    /// The manager for a cgroup recorded at launch.
    static func manager(recorded location: CgroupLocation, id: String, system: any Syscalls = LinuxSyscalls()) -> any CgroupManager {
        location.unified ? CgroupV2(root: location.root ?? "/sys/fs/cgroup", path: location.path, id: id, system: system)
                         : CgroupV1(relative: location.path, id: id, system: system)
    }

    static func parent(_ path: String) -> String {
        let parts = path.split(separator: "/")
        return "/" + parts.dropLast().joined(separator: "/")
    }

    static func write(_ value: String, to path: String, id: String, system: any Syscalls) throws(RuntimeError) {
        do { try system.write(value, to: path, stage: "cgroups") } catch { throw RuntimeError(.system, id, error.description) }
    }

    static func makeDirectory(_ path: String, id: String, system: any Syscalls) throws(RuntimeError) {
        do { try system.makeDirectories(path, stage: "cgroups") } catch { throw RuntimeError(.system, id, error.description) }
    }

    /// Removes a cgroup directory, retrying while the kernel finishes the exit of its last
    /// processes (rmdir fails with EBUSY until then). A directory already gone is removed.
    static func remove(_ directory: String, system: any Syscalls) {
        for _ in 0..<200 {
            do {
                try system.removeDirectory(directory, stage: "cgroups")
                return
            } catch {
                if error.errno != EBUSY { return }
            }
            system.pause(milliseconds: 10)
        }
    }

    static func readPIDs(_ file: String, system: any Syscalls) -> [Int32] {
        ((try? system.read(file, stage: "cgroups")) ?? "").split(separator: "\n").compactMap { Int32($0) }
    }

    /// The v1 hierarchies this process is in, by the directory they are mounted on below
    /// /sys/fs/cgroup (`memory`, `cpu,cpuacct`, `systemd` for name=systemd, `unified` for the v2
    /// hierarchy of a hybrid host), as /proc/self/cgroup lists them.
    static func hierarchies(system: any Syscalls) -> [String] {
        let lines = ((try? system.read("/proc/self/cgroup", stage: "cgroups")) ?? "").split(separator: "\n")
        return lines.compactMap { line -> String? in
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { return nil }
            let controllers = String(fields[1])
            if controllers.isEmpty { return "unified" }
            return controllers.hasPrefix("name=") ? String(controllers.dropFirst(5)) : controllers
        }
    }
}

/// cgroup v1: one directory per controller hierarchy. The container joins every hierarchy the
/// host has mounted (as runc does), the unified one of a hybrid host included, so that its
/// cgroup namespace shows its own cgroup, never the host's, at the root of each.
struct CgroupV1: CgroupManager {
    /// The controllers whose files carry limits (resolved to their hierarchy's directory).
    static let controllers = ["memory", "cpu", "cpuset", "pids", "freezer"]
    var relative: String
    var id: String
    var system: any Syscalls

    var location: CgroupLocation { CgroupLocation(path: relative, unified: false) }

    /// The mounted hierarchies' directories for this container, limit-carrying ones first.
    var directories: [String] {
        let mounted = Cgroups.hierarchies(system: system).filter { system.exists("/sys/fs/cgroup/" + $0) }
        let limits = Self.controllers.compactMap { controller in mounted.first { Self.hierarchy($0, has: controller) } }
        var ordered: [String] = []
        for name in limits + mounted.sorted() where !ordered.contains(name) { ordered.append(name) }
        return ordered.map { "/sys/fs/cgroup/\($0)\(relative)" }
    }
    var procsFiles: [String] { directories.map { $0 + "/cgroup.procs" } }

    static func hierarchy(_ name: String, has controller: String) -> Bool {
        name.split(separator: ",").contains(Substring(controller))
    }

    /// The directory of the hierarchy that has `controller` (`cpu` may be mounted as `cpu,cpuacct`).
    func dir(_ controller: String) -> String {
        let mounted = Cgroups.hierarchies(system: system).first { Self.hierarchy($0, has: controller) } ?? controller
        return "/sys/fs/cgroup/\(mounted)\(relative)"
    }

    func create(_ resources: RuntimeSpec.Resources?) throws(RuntimeError) -> [String] {
        var warnings: [String] = []
        for directory in directories { try Cgroups.makeDirectory(directory, id: id, system: system) }
        if system.exists(dir("cpuset")) {
            // A new v1 cpuset starts with empty cpus and mems and refuses tasks until they are
            // set: copy them down from the root to every level Berth created.
            var path = String(dir("cpuset").dropLast(relative.count))
            for component in relative.split(separator: "/") {
                let parent = path
                path += "/" + component
                for file in ["cpuset.cpus", "cpuset.mems"] {
                    let current = ((try? system.read(path + "/" + file, stage: "cgroups")) ?? "").filter { $0 != "\n" }
                    if !current.isEmpty { continue }
                    let inherited = ((try? system.read(parent + "/" + file, stage: "cgroups")) ?? "").filter { $0 != "\n" }
                    try Cgroups.write(inherited, to: path + "/" + file, id: id, system: system)
                }
            }
        }
        guard let resources else { return warnings }
        func write(_ value: String, _ controller: String, _ file: String) throws(RuntimeError) {
            try Cgroups.write(value, to: dir(controller) + "/" + file, id: id, system: system)
        }
        if let limit = resources.memory?.limit { try write("\(limit)", "memory", "memory.limit_in_bytes") }
        if let reservation = resources.memory?.reservation { try write("\(reservation)", "memory", "memory.soft_limit_in_bytes") }
        if let swap = resources.memory?.swap {
            if system.exists(dir("memory") + "/memory.memsw.limit_in_bytes") { try write("\(swap)", "memory", "memory.memsw.limit_in_bytes") }
            else { warnings.append("linux.resources.memory.swap: swap accounting is off on this host (memory.memsw); not applied") }
        }
        if let shares = resources.cpu?.shares { try write("\(shares)", "cpu", "cpu.shares") }
        if let period = resources.cpu?.period { try write("\(period)", "cpu", "cpu.cfs_period_us") }
        if let quota = resources.cpu?.quota { try write("\(quota)", "cpu", "cpu.cfs_quota_us") }
        if let cpus = resources.cpu?.cpus { try write(cpus, "cpuset", "cpuset.cpus") }
        if let pids = resources.pids?.limit { try write(pids < 0 ? "max" : "\(pids)", "pids", "pids.max") }
        return warnings
    }

    func setFrozen(_ frozen: Bool) throws(RuntimeError) {
        guard system.exists(dir("freezer")) else { throw RuntimeError(.invalidState, id, "no freezer cgroup on this host: pause is not available") }
        let state = dir("freezer") + "/freezer.state"
        try Cgroups.write(frozen ? "FROZEN" : "THAWED", to: state, id: id, system: system)
        guard frozen else { return }
        // The v1 freezer passes through FREEZING; pause returns only once every task is frozen.
        // Writing FROZEN again while FREEZING makes the kernel retry tasks it could not yet stop.
        try Cgroups.waitUntil(id: id, what: "freezing", system: system) { () throws(RuntimeError) -> Bool in
            if isFrozen { return true }
            try Cgroups.write("FROZEN", to: state, id: id, system: system)
            return false
        }
    }

    var isFrozen: Bool {
        ((try? system.read(dir("freezer") + "/freezer.state", stage: "cgroups")) ?? "").hasPrefix("FROZEN")
    }

    func processes() -> [Int32] {
        let all = directories
        return Cgroups.readPIDs((all.first { $0.contains("/pids/") } ?? all.first ?? "") + "/cgroup.procs", system: system)
    }

    func destroy() {
        for directory in directories { Cgroups.remove(directory, system: system) }
    }
}

/// cgroup v2: one directory in the unified hierarchy, mounted at `root`.
struct CgroupV2: CgroupManager {
    var root: String
    /// The path below `root`.
    var path: String
    var id: String
    var system: any Syscalls
    /// Rootless: the delegated subtree the path is in (controllers are enabled from there down).
    var delegatedRoot: String?

    init(root: String, path: String, id: String, system: any Syscalls, delegatedRoot: String? = nil) {
        self.root = root
        self.path = path
        self.id = id
        self.system = system
        self.delegatedRoot = delegatedRoot
    }

    var directory: String { root + path }
    var location: CgroupLocation {
        CgroupLocation(path: path, unified: true, root: root == "/sys/fs/cgroup" ? nil : root)
    }
    var directories: [String] { [directory] }
    var procsFiles: [String] { [directory + "/cgroup.procs"] }

    static let limitControllers = ["memory", "cpu", "cpuset", "pids"]

    func create(_ resources: RuntimeSpec.Resources?) throws(RuntimeError) -> [String] {
        var warnings: [String] = []
        let parent = Cgroups.parent(path)
        try Cgroups.makeDirectory(root + parent, id: id, system: system)
        // Enable the controllers on every level from the delegated root (rootless) or the
        // parent down to the container's parent. A level that has processes of its own refuses
        // (EBUSY, no internal processes); a controller that is not delegated is not listed: both
        // leave the controller off, which the limits below then name in a warning.
        var levels = [parent]
        if let delegatedRoot {
            levels = Cgroups.prefixes(of: parent).filter { $0 == delegatedRoot || $0.hasPrefix(delegatedRoot + "/") }
        }
        for level in levels {
            let available = ((try? system.read(root + level + "/cgroup.controllers", stage: "cgroups")) ?? "")
                .split(whereSeparator: { $0 == " " || $0 == "\n" })
            for controller in Self.limitControllers where available.contains(Substring(controller)) {
                try? Cgroups.write("+\(controller)", to: root + level + "/cgroup.subtree_control", id: id, system: system)
            }
        }
        try Cgroups.makeDirectory(directory, id: id, system: system)
        guard let resources else { return warnings }
        func set(_ file: String, _ value: String, _ key: String) throws(RuntimeError) {
            if system.exists(directory + "/" + file) {
                try Cgroups.write(value, to: directory + "/" + file, id: id, system: system)
            } else {
                let controller = String(file.prefix { $0 != "." })
                warnings.append("linux.resources.\(key): the \(controller) controller is not enabled for \(root)\(parent) (not in its cgroup.subtree_control); not applied")
            }
        }
        if let limit = resources.memory?.limit { try set("memory.max", "\(limit)", "memory.limit") }
        if let reservation = resources.memory?.reservation { try set("memory.low", "\(reservation)", "memory.reservation") }
        if let swap = resources.memory?.swap {
            let limit = resources.memory?.limit ?? 0
            try set("memory.swap.max", swap < 0 ? "max" : "\(max(0, swap - limit))", "memory.swap")
        }
        if let shares = resources.cpu?.shares { try set("cpu.weight", "\(1 + ((max(2, shares) - 2) * 9999) / 262142)", "cpu.shares") }
        if let quota = resources.cpu?.quota { try set("cpu.max", "\(quota < 0 ? "max" : "\(quota)") \(resources.cpu?.period ?? 100000)", "cpu.quota") }
        if let cpus = resources.cpu?.cpus { try set("cpuset.cpus", cpus, "cpu.cpus") }
        if let pids = resources.pids?.limit { try set("pids.max", pids < 0 ? "max" : "\(pids)", "pids.limit") }
        return warnings
    }

    func setFrozen(_ frozen: Bool) throws(RuntimeError) {
        try Cgroups.write(frozen ? "1" : "0", to: directory + "/cgroup.freeze", id: id, system: system)
        guard frozen else { return }
        // cgroup.freeze is the request; cgroup.events says `frozen 1` once it is done.
        try Cgroups.waitUntil(id: id, what: "freezing", system: system) { () throws(RuntimeError) -> Bool in
            ((try? system.read(directory + "/cgroup.events", stage: "cgroups")) ?? "")
                .split(separator: "\n").contains("frozen 1")
        }
    }

    var isFrozen: Bool { ((try? system.read(directory + "/cgroup.freeze", stage: "cgroups")) ?? "").hasPrefix("1") }

    func processes() -> [Int32] { Cgroups.readPIDs(directory + "/cgroup.procs", system: system) }

    func destroy() { Cgroups.remove(directory, system: system) }
}

extension Cgroups {
    /// `/a`, `/a/b`, `/a/b/c` for `/a/b/c`.
    static func prefixes(of path: String) -> [String] {
        var result: [String] = [], current = ""
        for component in path.split(separator: "/") {
            current += "/" + component
            result.append(current)
        }
        return result
    }
}
