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
}

/// Chooses the backend for this host.
public enum Cgroups {
    /// Polls `done` every 10 ms for up to two seconds; an operation the kernel does not finish
    /// in that time is an error naming it, never a silent return.
    static func waitUntil(id: String, what: String, _ done: () throws(RuntimeError) -> Bool) throws(RuntimeError) {
        for _ in 0..<200 {
            if try done() { return }
            usleep(10_000)
        }
        throw RuntimeError(.system, id, "\(what) the container's cgroup did not complete within 2 s")
    }

    /// A manager for the container `id` at `path` (linux.cgroupsPath, or `/berth/<id>`), or nil with
    /// a warning when this user cannot manage cgroups here (rootless without a delegated v2 tree).
    public static func manager(id: String, path: String?) -> (manager: (any CgroupManager)?, warning: String?) {
        let relative = path.map { $0.hasPrefix("/") ? $0 : "/" + $0 } ?? "/berth/\(id)"
        if Files.exists("/sys/fs/cgroup/cgroup.controllers") {
            let manager = CgroupV2(directory: "/sys/fs/cgroup" + relative, id: id)
            if geteuid() != 0 && access("/sys/fs/cgroup" + parent(relative), W_OK) != 0 {
                return (nil, "cgroup v2 tree \(parent(relative)) is not delegated to this user: resource limits and pause/resume are not available")
            }
            return (manager, nil)
        }
        if geteuid() != 0 {
            return (nil, "cgroups v1 cannot be managed by an unprivileged user: resource limits and pause/resume are not available")
        }
        return (CgroupV1(relative: relative, id: id), nil)
    }

    /// The manager for a cgroup recorded at launch.
    static func manager(recorded location: CgroupLocation, id: String) -> any CgroupManager {
        location.unified ? CgroupV2(directory: "/sys/fs/cgroup" + location.path, id: id)
                         : CgroupV1(relative: location.path, id: id)
    }

    static func parent(_ path: String) -> String {
        let parts = path.split(separator: "/")
        return "/" + parts.dropLast().joined(separator: "/")
    }

    static func write(_ value: String, to path: String, id: String) throws(RuntimeError) {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        if fd < 0 { throw RuntimeError(.system, id, SystemError(stage: "cgroups", call: "open", object: path, errno: errno).description) }
        defer { close(fd) }
        do { try Files.writeAll(fd, Array(value.utf8), object: path, stage: "cgroups") } catch {
            throw RuntimeError(.system, id, error.description)
        }
    }

    static func makeDirectory(_ path: String, id: String) throws(RuntimeError) {
        do { try Files.makeDirectories(path, stage: "cgroups") } catch { throw RuntimeError(.system, id, error.description) }
    }

    /// Removes a cgroup directory, retrying while the kernel finishes the exit of its last
    /// processes (rmdir fails with EBUSY until then).
    static func remove(_ directory: String) {
        for _ in 0..<200 {
            if rmdir(directory) == 0 || errno == ENOENT || errno != EBUSY { return }
            usleep(10_000)
        }
    }

    static func readPIDs(_ file: String) -> [Int32] {
        ((try? Files.read(file, stage: "cgroups")) ?? "").split(separator: "\n").compactMap { Int32($0) }
    }
}

/// cgroup v1: one directory per controller hierarchy (memory, cpu, cpuset, pids, freezer).
struct CgroupV1: CgroupManager {
    static let controllers = ["memory", "cpu", "cpuset", "pids", "freezer"]
    var relative: String
    var id: String

    var location: CgroupLocation { CgroupLocation(path: relative, unified: false) }
    var directories: [String] {
        Self.controllers.filter { Files.exists("/sys/fs/cgroup/" + $0) }.map { "/sys/fs/cgroup/\($0)\(relative)" }
    }
    var procsFiles: [String] { directories.map { $0 + "/cgroup.procs" } }
    func dir(_ controller: String) -> String { "/sys/fs/cgroup/\(controller)\(relative)" }

    func create(_ resources: RuntimeSpec.Resources?) throws(RuntimeError) -> [String] {
        var warnings: [String] = []
        for directory in directories { try Cgroups.makeDirectory(directory, id: id) }
        if Files.exists(dir("cpuset")) {
            // A new v1 cpuset starts with empty cpus and mems and refuses tasks until they are
            // set: copy them down from the root to every level Berth created.
            var path = "/sys/fs/cgroup/cpuset"
            for component in relative.split(separator: "/") {
                let parent = path
                path += "/" + component
                for file in ["cpuset.cpus", "cpuset.mems"] {
                    let current = ((try? Files.read(path + "/" + file, stage: "cgroups")) ?? "").filter { $0 != "\n" }
                    if !current.isEmpty { continue }
                    let inherited = ((try? Files.read(parent + "/" + file, stage: "cgroups")) ?? "").filter { $0 != "\n" }
                    try Cgroups.write(inherited, to: path + "/" + file, id: id)
                }
            }
        }
        guard let resources else { return warnings }
        if let limit = resources.memory?.limit { try Cgroups.write("\(limit)", to: dir("memory") + "/memory.limit_in_bytes", id: id) }
        if let swap = resources.memory?.swap {
            let file = dir("memory") + "/memory.memsw.limit_in_bytes"
            if Files.exists(file) { try Cgroups.write("\(swap)", to: file, id: id) }
            else { warnings.append("linux.resources.memory.swap: swap accounting is off on this host (memory.memsw); not applied") }
        }
        if let shares = resources.cpu?.shares { try Cgroups.write("\(shares)", to: dir("cpu") + "/cpu.shares", id: id) }
        if let period = resources.cpu?.period { try Cgroups.write("\(period)", to: dir("cpu") + "/cpu.cfs_period_us", id: id) }
        if let quota = resources.cpu?.quota { try Cgroups.write("\(quota)", to: dir("cpu") + "/cpu.cfs_quota_us", id: id) }
        if let cpus = resources.cpu?.cpus { try Cgroups.write(cpus, to: dir("cpuset") + "/cpuset.cpus", id: id) }
        if let pids = resources.pids?.limit { try Cgroups.write(pids < 0 ? "max" : "\(pids)", to: dir("pids") + "/pids.max", id: id) }
        return warnings
    }

    func setFrozen(_ frozen: Bool) throws(RuntimeError) {
        guard Files.exists(dir("freezer")) else { throw RuntimeError(.invalidState, id, "no freezer cgroup on this host: pause is not available") }
        let state = dir("freezer") + "/freezer.state"
        try Cgroups.write(frozen ? "FROZEN" : "THAWED", to: state, id: id)
        guard frozen else { return }
        // The v1 freezer passes through FREEZING; pause returns only once every task is frozen.
        // Writing FROZEN again while FREEZING makes the kernel retry tasks it could not yet stop.
        try Cgroups.waitUntil(id: id, what: "freezing") { () throws(RuntimeError) -> Bool in
            if isFrozen { return true }
            try Cgroups.write("FROZEN", to: state, id: id)
            return false
        }
    }

    var isFrozen: Bool {
        ((try? Files.read(dir("freezer") + "/freezer.state", stage: "cgroups")) ?? "").hasPrefix("FROZEN")
    }

    func processes() -> [Int32] {
        Cgroups.readPIDs((directories.first { $0.contains("/pids/") } ?? directories.first ?? "") + "/cgroup.procs")
    }

    func destroy() {
        for directory in directories { Cgroups.remove(directory) }
    }
}

/// cgroup v2: one directory in the unified hierarchy.
struct CgroupV2: CgroupManager {
    var directory: String
    var id: String

    var location: CgroupLocation { CgroupLocation(path: String(directory.dropFirst("/sys/fs/cgroup".count)), unified: true) }
    var directories: [String] { [directory] }
    var procsFiles: [String] { [directory + "/cgroup.procs"] }

    func create(_ resources: RuntimeSpec.Resources?) throws(RuntimeError) -> [String] {
        var warnings: [String] = []
        let parent = Cgroups.parent(String(directory.dropFirst("/sys/fs/cgroup".count)))
        // Enable the controllers for the container's level (ignored when already enabled).
        let available = ((try? Files.read("/sys/fs/cgroup\(parent)/cgroup.controllers", stage: "cgroups")) ?? "").split(whereSeparator: { $0 == " " || $0 == "\n" })
        try Cgroups.makeDirectory("/sys/fs/cgroup" + parent, id: id)
        for controller in ["memory", "cpu", "cpuset", "pids"] where available.contains(Substring(controller)) {
            try? Cgroups.write("+\(controller)", to: "/sys/fs/cgroup\(parent)/cgroup.subtree_control", id: id)
        }
        try Cgroups.makeDirectory(directory, id: id)
        guard let resources else { return warnings }
        func set(_ file: String, _ value: String, _ key: String) throws(RuntimeError) {
            if Files.exists(directory + "/" + file) { try Cgroups.write(value, to: directory + "/" + file, id: id) }
            else { warnings.append("linux.resources.\(key): the controller for \(file) is not enabled here; not applied") }
        }
        if let limit = resources.memory?.limit { try set("memory.max", "\(limit)", "memory.limit") }
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
        try Cgroups.write(frozen ? "1" : "0", to: directory + "/cgroup.freeze", id: id)
        guard frozen else { return }
        // cgroup.freeze is the request; cgroup.events says `frozen 1` once it is done.
        try Cgroups.waitUntil(id: id, what: "freezing") { () throws(RuntimeError) -> Bool in
            ((try? Files.read(directory + "/cgroup.events", stage: "cgroups")) ?? "")
                .split(separator: "\n").contains("frozen 1")
        }
    }

    var isFrozen: Bool { ((try? Files.read(directory + "/cgroup.freeze", stage: "cgroups")) ?? "").hasPrefix("1") }

    func processes() -> [Int32] { Cgroups.readPIDs(directory + "/cgroup.procs") }

    func destroy() { Cgroups.remove(directory) }
}
