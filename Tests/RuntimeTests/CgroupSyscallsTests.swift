import Glibc
import OCISpec
@testable import Runtime
import SystemSupport
import Testing

/// The Swift side of cgroups and of delete's cleanup, against `RecordingSyscalls`: which calls
/// are made, in which order, with which arguments, and how ENOENT and EBUSY are handled, without
/// a kernel or root.
@Suite struct CgroupSyscallsTests {
    /// A hybrid host as CI's: v1 controllers (cpu and cpuacct co-mounted), v2 at /unified.
    static func hybridHost(v2Path: String = "/") -> RecordingSyscalls {
        let system = RecordingSyscalls()
        for hierarchy in ["cpu,cpuacct", "cpuset", "memory", "pids", "freezer", "systemd"] {
            system.addFile("/sys/fs/cgroup/\(hierarchy)/cgroup.procs")
        }
        system.addFile("/sys/fs/cgroup/cpuset/cpuset.cpus", "0-1\n")
        system.addFile("/sys/fs/cgroup/cpuset/cpuset.mems", "0\n")
        system.addFile("/sys/fs/cgroup/unified/cgroup.controllers", "")
        system.addFile("/proc/self/cgroup", """
            7:pids:/
            6:freezer:/
            5:memory:/
            3:cpuset:/
            2:cpu,cpuacct:/
            1:name=systemd:/
            0::\(v2Path)

            """)
        return system
    }

    struct ManagerCase: Sendable, CustomTestStringConvertible {
        var name: String
        var unified: Bool
        var euid: UInt32
        var ownV2: String
        var cgroupsPath: String?
        /// The container's cgroup directories, or nil for "no manager".
        var directories: [String]?
        var warning: String?
        var testDescription: String { name }
    }

    static let managerCases: [ManagerCase] = [
        .init(name: "root on a hybrid host joins every v1 hierarchy and the unified one", unified: false, euid: 0, ownV2: "/",
              cgroupsPath: nil,
              directories: ["memory", "cpu,cpuacct", "cpuset", "pids", "freezer", "systemd", "unified"].map { "/sys/fs/cgroup/\($0)/berth/c1" }),
        .init(name: "rootless on a hybrid host goes below the subtree delegated to it in /unified", unified: false, euid: 1001,
              ownV2: "/user.slice/user@1001.service/app.slice", cgroupsPath: nil,
              directories: ["/sys/fs/cgroup/unified/user.slice/user@1001.service/berth/c1"]),
        .init(name: "rootless with a relative cgroupsPath goes below the delegated subtree", unified: true, euid: 1001,
              ownV2: "/user.slice/user@1001.service/app.slice", cgroupsPath: "mine/c1",
              directories: ["/sys/fs/cgroup/user.slice/user@1001.service/mine/c1"]),
        .init(name: "rootless with nothing delegated gets a warning saying so", unified: false, euid: 1001, ownV2: "/",
              cgroupsPath: nil, directories: nil, warning: "no cgroup v2 subtree is delegated to this user"),
        .init(name: "rootless with an absolute cgroupsPath whose parent it cannot write gets a warning", unified: true, euid: 1001,
              ownV2: "/user.slice/user@1001.service/app.slice", cgroupsPath: "/elsewhere/c1", directories: nil,
              warning: "cgroup v2 tree /elsewhere is not delegated to this user"),
        .init(name: "root on a unified host uses /sys/fs/cgroup", unified: true, euid: 0, ownV2: "/", cgroupsPath: nil,
              directories: ["/sys/fs/cgroup/berth/c1"]),
    ]

    @Test("the backend and the cgroup's place follow the host's layout, the user and the delegation", arguments: managerCases)
    func managerChoice(_ row: ManagerCase) {
        let system: RecordingSyscalls
        if row.unified {
            system = RecordingSyscalls()
            system.addFile("/sys/fs/cgroup/cgroup.controllers", "memory pids\n")
            system.addFile("/proc/self/cgroup", "0::\(row.ownV2)\n")
        } else {
            system = Self.hybridHost(v2Path: row.ownV2)
        }
        let root = row.unified ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified"
        // systemd's user@.service: the user owns its service's subtree, not the slices above.
        system.addDirectory(root + "/user.slice", owner: 0, writable: false)
        system.addDirectory(root + "/user.slice/user@1001.service", owner: 1001)
        system.addDirectory(root + "/user.slice/user@1001.service/app.slice", owner: 1001)
        system.addDirectory(root + "/elsewhere", owner: 0, writable: false)
        let (manager, warning) = Cgroups.manager(id: "c1", path: row.cgroupsPath, system: system, euid: row.euid)
        #expect(manager?.directories == row.directories)
        if let expected = row.warning {
            #expect(warning?.contains(expected) == true, "\(warning ?? "no warning")")
        } else {
            #expect(warning == nil)
        }
    }

    @Test("a delegated v2 cgroup enables the listed controllers from the delegated root down, then names each limit it cannot apply")
    func delegatedCreate() throws {
        let system = Self.hybridHost(v2Path: "/deleg/leaf")
        system.addDirectory("/sys/fs/cgroup/unified/deleg", owner: 1001)
        system.addDirectory("/sys/fs/cgroup/unified/deleg/leaf", owner: 1001)
        // Only pids is delegated; nothing is enabled below it yet.
        system.addFile("/sys/fs/cgroup/unified/deleg/cgroup.controllers", "pids\n")
        system.addFile("/sys/fs/cgroup/unified/deleg/cgroup.subtree_control", "")
        let manager = try #require(Cgroups.manager(id: "c1", path: nil, system: system, euid: 1001).manager)
        // What the kernel would show once pids is enabled in the parent: the new cgroup's files.
        system.addFile("/sys/fs/cgroup/unified/deleg/berth/c1/pids.max", "max")
        let warnings = try manager.create(.init(memory: .init(limit: 64 << 20), pids: .init(limit: 10)))
        #expect(system.changes == [
            .makeDirectories("/sys/fs/cgroup/unified/deleg/berth"),
            .write("/sys/fs/cgroup/unified/deleg/cgroup.subtree_control", "+pids"),
            .makeDirectories("/sys/fs/cgroup/unified/deleg/berth/c1"),
            .write("/sys/fs/cgroup/unified/deleg/berth/c1/pids.max", "10"),
        ])
        #expect(warnings.count == 1)
        #expect(warnings.first?.contains("linux.resources.memory.limit: the memory controller is not enabled") == true, "\(warnings)")
        #expect(manager.location == CgroupLocation(path: "/deleg/berth/c1", unified: true, root: "/sys/fs/cgroup/unified"))
        #expect(manager.procsFiles == ["/sys/fs/cgroup/unified/deleg/berth/c1/cgroup.procs"])
    }

    @Test("a v1 cgroup writes each limit into its controller's hierarchy, co-mounted ones included, after copying cpuset down")
    func v1Create() throws {
        let system = Self.hybridHost()
        let manager = try #require(Cgroups.manager(id: "c1", path: "/b/c1", system: system, euid: 0).manager)
        for directory in manager.directories { system.addDirectory(directory) }
        for file in ["memory/b/c1/memory.limit_in_bytes", "memory/b/c1/memory.soft_limit_in_bytes", "cpu,cpuacct/b/c1/cpu.shares", "pids/b/c1/pids.max",
                     "cpuset/b/cpuset.cpus", "cpuset/b/cpuset.mems", "cpuset/b/c1/cpuset.cpus", "cpuset/b/c1/cpuset.mems"] {
            system.addFile("/sys/fs/cgroup/" + file, "")
        }
        let warnings = try manager.create(.init(memory: .init(limit: 1 << 20, reservation: 1 << 19), cpu: .init(shares: 512), pids: .init(limit: 5)))
        #expect(warnings.isEmpty)
        let writes = system.changes.compactMap { call -> String? in
            if case .write(let path, let value) = call { return "\(path)=\(value)" }
            return nil
        }
        #expect(writes == [
            "/sys/fs/cgroup/cpuset/b/cpuset.cpus=0-1", "/sys/fs/cgroup/cpuset/b/cpuset.mems=0",
            "/sys/fs/cgroup/cpuset/b/c1/cpuset.cpus=0-1", "/sys/fs/cgroup/cpuset/b/c1/cpuset.mems=0",
            "/sys/fs/cgroup/memory/b/c1/memory.limit_in_bytes=1048576",
            "/sys/fs/cgroup/memory/b/c1/memory.soft_limit_in_bytes=524288",
            "/sys/fs/cgroup/cpu,cpuacct/b/c1/cpu.shares=512",
            "/sys/fs/cgroup/pids/b/c1/pids.max=5",
        ])
    }

    struct RemoveCase: Sendable, CustomTestStringConvertible {
        var name: String
        var errno: Int32
        var times: Int
        var rmdirCalls: Int
        var gone: Bool
        var testDescription: String { name }
    }

    static let removeCases: [RemoveCase] = [
        .init(name: "EBUSY while the kernel finishes the last exit is retried until rmdir succeeds", errno: EBUSY, times: 3, rmdirCalls: 4, gone: true),
        .init(name: "ENOENT (already removed) ends at once", errno: ENOENT, times: 1, rmdirCalls: 1, gone: true),
        .init(name: "EBUSY that never ends gives up after 200 tries, two seconds, instead of hanging", errno: EBUSY, times: 1000, rmdirCalls: 200, gone: false),
        .init(name: "EACCES is not retried", errno: EACCES, times: 5, rmdirCalls: 1, gone: false),
    ]

    @Test("removing a cgroup directory", arguments: removeCases)
    func remove(_ row: RemoveCase) {
        let system = RecordingSyscalls()
        system.addDirectory("/sys/fs/cgroup/unified/b/c1")
        system.fail(.removeDirectory, "/sys/fs/cgroup/unified/b/c1", errno: row.errno, times: row.times)
        if row.errno == ENOENT { system.addDirectory("/sys/fs/cgroup/unified/b/c1") }
        Cgroups.remove("/sys/fs/cgroup/unified/b/c1", system: system)
        let rmdirs = system.calls.filter { if case .removeDirectory = $0 { true } else { false } }
        #expect(rmdirs.count == row.rmdirCalls)
        if row.errno != ENOENT { #expect(system.hasDirectory("/sys/fs/cgroup/unified/b/c1") == !row.gone) }
    }

    func runtime(_ system: RecordingSyscalls) -> ContainerRuntime {
        ContainerRuntime(stateRoot: "/run/berth/runtime", initPath: "/usr/libexec/berth-init", system: system)
    }

    func record(cgroup: CgroupLocation?) -> ContainerRecord {
        ContainerRecord(id: "c1", bundle: "/b", rootfs: "/b/rootfs", pid: 4242, pidStartTime: 1, monitorPid: 4241,
                        created: "2026-01-01T00:00:00Z", cgroup: cgroup, annotations: nil)
    }

    @Test("delete releases a leftover fuse-overlayfs daemon, then the thawed and emptied cgroup, then the state directory")
    func releaseOrder() throws {
        let system = RecordingSyscalls()
        let state = "/run/berth/runtime/c1"
        system.addFile(state + "/fuse-overlayfs.pid", "777\n")
        system.addFile("/proc/777/comm", "fuse-overlayfs\n")
        system.addProcess(777)
        system.addFile("/sys/fs/cgroup/unified/d/berth/c1/cgroup.freeze", "1")
        system.addFile("/sys/fs/cgroup/unified/d/berth/c1/cgroup.procs", "4243\n")
        // The kernel empties the cgroup only after a while: rmdir is refused twice.
        system.fail(.removeDirectory, "/sys/fs/cgroup/unified/d/berth/c1", errno: EBUSY, times: 2)
        try runtime(system).releaseResources(of: record(cgroup: .init(path: "/d/berth/c1", unified: true, root: "/sys/fs/cgroup/unified")),
                                             id: "c1", wasPaused: true)
        #expect(system.changes == [
            .kill(777, SIGKILL),
            .write("/sys/fs/cgroup/unified/d/berth/c1/cgroup.freeze", "0"),
            .removeDirectory("/sys/fs/cgroup/unified/d/berth/c1"),
            .removeDirectory("/sys/fs/cgroup/unified/d/berth/c1"),
            .removeDirectory("/sys/fs/cgroup/unified/d/berth/c1"),
            .removeTree(state),
        ])
        // It waited for the cgroup to empty (procs never emptied in the fake: bounded at 5 s).
        #expect(system.calls.filter { $0 == .pause(10) }.count >= 500)
    }

    @Test("delete leaves a PID that is no longer fuse-overlayfs alone, and a missing PID file is not an error")
    func fusePIDReused() throws {
        let system = RecordingSyscalls()
        system.addFile("/run/berth/runtime/c1/fuse-overlayfs.pid", "778\n")
        system.addFile("/proc/778/comm", "bash\n")
        try runtime(system).releaseResources(of: record(cgroup: nil), id: "c1", wasPaused: false)
        #expect(system.changes == [.removeTree("/run/berth/runtime/c1")])

        let none = RecordingSyscalls()
        try runtime(none).releaseResources(of: record(cgroup: nil), id: "c1", wasPaused: false)
        #expect(none.changes == [.removeTree("/run/berth/runtime/c1")])
    }

    @Test("a state directory that cannot be removed is an error naming the container and the call")
    func removeTreeFails() {
        let system = RecordingSyscalls()
        system.fail(.removeTree, "/run/berth/runtime/c1", errno: EBUSY)
        #expect {
            try runtime(system).releaseResources(of: record(cgroup: nil), id: "c1", wasPaused: false)
        } throws: { error in
            guard let error = error as? RuntimeError else { return false }
            return error.code == .system && error.object == "c1" && error.message.contains("unlink /run/berth/runtime/c1")
        }
    }
}
