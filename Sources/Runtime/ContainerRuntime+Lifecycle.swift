#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials
import OCISpec
import SystemSupport

/// The OCI operations after create: state, start, kill, delete, list.
extension ContainerRuntime {
    func record(_ id: String) throws(RuntimeError) -> ContainerRecord {
        try Self.validate(id: id)
        let path = directory(id) + "/state.json"
        guard Files.exists(path) else { throw RuntimeError(.notFound, id, "no such container in \(stateRoot)") }
        do {
            return try JSONDecoder().decode(ContainerRecord.self, from: Data(try Files.readBytes(path, stage: "state")))
        } catch {
            throw RuntimeError(.system, id, "reading \(path): \(error)")
        }
    }

    /// How the container ended, once its monitor has recorded it.
    public func exitRecord(_ id: String) -> ExitRecord? {
        guard let bytes = try? Files.readBytes(directory(id) + "/exit.json", stage: "state") else { return nil }
        return try? JSONDecoder().decode(ExitRecord.self, from: Data(bytes))
    }

    /// Whether the recorded container process still runs (same PID and start time, not a zombie).
    func isAlive(_ record: ContainerRecord) -> Bool {
        guard let start = Processes.startTime(record.pid), start == record.pidStartTime else { return false }
        return Processes.state(record.pid) != "Z"
    }

    /// Whether the container's monitor is still running (and so will record an exit status).
    /// The name guards against a reused PID after the monitor was killed.
    func monitorIsRecording(_ record: ContainerRecord) -> Bool {
        guard let state = Processes.state(record.monitorPid), state != "Z",
              let name = try? Files.read("/proc/\(record.monitorPid)/comm", stage: "proc") else { return false }
        return name.hasPrefix("berth-init")
    }

    /// The OCI state of `id`.
    public func state(_ id: String) throws(RuntimeError) -> RuntimeSpecState {
        let record = try record(id)
        let status: RuntimeSpecState.Status
        if exitRecord(id) != nil || (!isAlive(record) && !monitorIsRecording(record)) {
            status = .stopped
        } else if !isAlive(record) {
            // Ended, but its monitor is still draining its output into the log before it records
            // the exit status: reported as running until the status is there, so that whoever
            // sees `stopped` also sees the exit code and every line.
            status = .running
        } else if Files.exists(directory(id) + "/exec.fifo") {
            status = .created
        } else if let cgroup = record.cgroup, Cgroups.manager(recorded: cgroup, id: id, system: system).isFrozen {
            status = .paused
        } else {
            status = .running
        }
        return RuntimeSpecState(id: id, status: status, pid: status == .stopped ? nil : record.pid,
                                bundle: record.bundle, annotations: record.annotations)
    }

    /// Lets a created container exec its entrypoint.
    public func start(_ id: String) throws(RuntimeError) {
        let current = try state(id)
        guard current.status == .created else {
            throw RuntimeError(.invalidState, id, "cannot start a container that is \(current.status.rawValue); only a created container can be started")
        }
        let fifo = directory(id) + "/exec.fifo"
        let fd = open(fifo, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw RuntimeError(.system, id, SystemError(stage: "start", call: "open", object: fifo, errno: errno).description) }
        var byte: UInt8 = 0
        let n = read(fd, &byte, 1)
        close(fd)
        unlink(fifo)
        if n != 1 { throw RuntimeError(.containerSetup, id, "the container exited before it could be started") }
    }

    /// Sends `signal` (a name such as TERM, SIGKILL, or a number) to the container's process.
    public func kill(_ id: String, signal: String) throws(RuntimeError) {
        let number = try Signals.number(signal, container: id)
        let current = try state(id)
        guard [.created, .running, .paused].contains(current.status), let pid = current.pid else {
            throw RuntimeError(.invalidState, id, "cannot signal a container that is \(current.status.rawValue)")
        }
        if Glibc.kill(pid, number) < 0 {
            throw RuntimeError(.system, id, SystemError(stage: "kill", call: "kill", object: "\(pid)", errno: errno).description)
        }
    }

    /// Removes a stopped container's state. `force` kills a running one first.
    public func delete(_ id: String, force: Bool) throws(RuntimeError) {
        let record = try record(id)
        let current = try state(id)
        if current.status != .stopped {
            guard force else {
                throw RuntimeError(.invalidState, id, "cannot delete a container that is \(current.status.rawValue); stop it first or use --force")
            }
            if current.status == .paused, let location = record.cgroup {
                try? Cgroups.manager(recorded: location, id: id, system: system).setFrozen(false)
            }
            try? system.kill(record.pid, SIGKILL, stage: "delete")
        }
        // Wait (bounded) for the monitor to record the exit, so that the record is never cut off.
        var waited = 0
        while waited < 500 && exitRecord(id) == nil && Processes.startTime(record.monitorPid) != nil {
            usleep(10_000)
            waited += 1
        }
        try releaseResources(of: record, id: id, wasPaused: current.status == .paused)
    }

    /// What a stopped container still holds, released in order: a fuse-overlayfs daemon its
    /// monitor could not stop (the monitor was killed), the cgroup (thawed, emptied by the
    /// kernel, removed), then the state directory, last so that a delete interrupted before it
    /// can be run again.
    func releaseResources(of record: ContainerRecord, id: String, wasPaused: Bool) throws(RuntimeError) {
        stopFuseOverlay(id)
        if let location = record.cgroup {
            let cgroup = Cgroups.manager(recorded: location, id: id, system: system)
            if wasPaused { try? cgroup.setFrozen(false) }
            // Processes of the container's PID namespace die with its PID 1; wait for the kernel
            // to empty the cgroup, then remove it.
            var waited = 0
            while waited < 500 && !cgroup.processes().isEmpty {
                system.pause(milliseconds: 10)
                waited += 1
            }
            cgroup.destroy()
        }
        do { try system.removeTree(directory(id), stage: "delete") } catch {
            throw RuntimeError(.system, id, error.description)
        }
    }

    /// Kills the fuse-overlayfs daemon of a container whose monitor did not (it records the
    /// daemon's PID, and removes the file once the daemon is gone). The daemon keeps the
    /// container's mount namespace alive, so nothing else would end it. The command name guards
    /// against a PID reused since.
    func stopFuseOverlay(_ id: String) {
        let file = directory(id) + "/" + Self.fuseOverlayPIDFile
        guard let text = try? system.read(file, stage: "delete"),
              let pid = Int32(text.filter { $0 != "\n" }), pid > 0,
              let name = try? system.read("/proc/\(pid)/comm", stage: "delete"),
              name.hasPrefix("fuse-overlayfs") else { return }
        try? system.kill(pid, SIGKILL, stage: "delete")
    }

    /// Freezes (pause) or thaws (resume) every process of a running container.
    public func setPaused(_ id: String, _ paused: Bool) throws(RuntimeError) {
        let record = try record(id)
        let current = try state(id)
        guard current.status == (paused ? .running : .paused) else {
            throw RuntimeError(.invalidState, id, "cannot \(paused ? "pause" : "resume") a container that is \(current.status.rawValue)")
        }
        guard let location = record.cgroup else {
            throw RuntimeError(.invalidState, id, "the container has no cgroup (rootless without delegation): pause needs a freezer")
        }
        try Cgroups.manager(recorded: location, id: id, system: system).setFrozen(paused)
    }

    /// Host PIDs of every process in the container.
    public func processes(_ id: String) throws(RuntimeError) -> [Int32] {
        let record = try record(id)
        if let location = record.cgroup { return Cgroups.manager(recorded: location, id: id, system: system).processes() }
        return isAlive(record) ? [record.pid] : []
    }

    /// The state of every container under the state root.
    public func list() throws(RuntimeError) -> [RuntimeSpecState] {
        guard Files.exists(stateRoot) else { return [] }
        let names: [String]
        do { names = try Files.list(stateRoot, stage: "list") } catch { throw RuntimeError(.system, stateRoot, error.description) }
        return names.compactMap { try? state($0) }
    }
}

/// Signal names and numbers (x86-64/arm64 numbering).
public enum Signals {
    static let table: [String: Int32] = [
        "HUP": 1, "INT": 2, "QUIT": 3, "ILL": 4, "TRAP": 5, "ABRT": 6, "IOT": 6, "BUS": 7, "FPE": 8, "KILL": 9,
        "USR1": 10, "SEGV": 11, "USR2": 12, "PIPE": 13, "ALRM": 14, "TERM": 15, "STKFLT": 16, "CHLD": 17,
        "CONT": 18, "STOP": 19, "TSTP": 20, "TTIN": 21, "TTOU": 22, "URG": 23, "XCPU": 24, "XFSZ": 25,
        "VTALRM": 26, "PROF": 27, "WINCH": 28, "IO": 29, "POLL": 29, "PWR": 30, "SYS": 31,
    ]

    /// The number of a signal given as `TERM`, `SIGTERM` or `15`; an unknown one is an error.
    public static func number(_ text: String, container: String) throws(RuntimeError) -> Int32 {
        if let number = Int32(text), number > 0, number <= 64 { return number }
        let name = text.uppercased().hasPrefix("SIG") ? String(text.uppercased().dropFirst(3)) : text.uppercased()
        if let number = table[name] { return number }
        throw RuntimeError(.unknownSignal, container, "unknown signal \"\(text)\" (expected a name such as TERM or KILL, or a number)")
    }
}

extension ContainerRuntime {
    /// What `exec` runs: the arguments and, optionally, a different environment, directory or user.
    public struct ExecOptions: Sendable, Hashable {
        public var args: [String]
        public var env: [String]
        public var cwd: String?
        /// `uid[:gid]` or a user name from the container's /etc/passwd.
        public var user: String?
        /// Where to send the master of a new pty that becomes the process's stdio and
        /// controlling terminal (runc's `exec --tty --console-socket`); nil for no terminal.
        public var consoleSocket: String?
        /// `docker exec --privileged`: every capability and no seccomp filter, still in the
        /// container's namespaces and cgroup (and under its no_new_privs).
        public var privileged: Bool

        public init(args: [String], env: [String] = [], cwd: String? = nil, user: String? = nil, consoleSocket: String? = nil,
                    privileged: Bool = false) {
            self.args = args
            self.env = env
            self.cwd = cwd
            self.user = user
            self.consoleSocket = consoleSocket
            self.privileged = privileged
        }
    }

    /// Runs a process in the running container `id` (its namespaces, cgroup, capabilities,
    /// no_new_privs and seccomp profile; with `privileged`, all capabilities and no seccomp
    /// filter) and returns how it ended.
    public func exec(_ id: String, _ options: ExecOptions) throws(RuntimeError) -> ExitStatus {
        let record = try record(id)
        let current = try state(id)
        guard current.status == .running, let pid = current.pid else {
            throw RuntimeError(.invalidState, id, "cannot exec in a container that is \(current.status.rawValue)")
        }
        var spec: RuntimeSpec
        do {
            spec = try JSONDecoder().decode(RuntimeSpec.self, from: Data(try Files.readBytes(directory(id) + "/config.json", stage: "exec")))
        } catch {
            throw RuntimeError(.system, id, "reading the container's config: \(error)")
        }
        guard options.args.first != nil else { throw RuntimeError(.invalidConfig, id, "exec needs a command") }
        var process = spec.process ?? RuntimeSpec.Process()
        process.args = options.args
        var env = process.env ?? []
        for variable in options.env {
            let name = variable.split(separator: "=", maxSplits: 1).first.map(String.init) ?? variable
            env.removeAll { $0.hasPrefix(name + "=") }
            env.append(variable)
        }
        process.env = env
        if let cwd = options.cwd { process.cwd = cwd }
        if let user = options.user {
            let parts = user.split(separator: ":", maxSplits: 1)
            if let uid = UInt32(parts[0]) {
                process.user = RuntimeSpec.User(uid: uid, gid: parts.count > 1 ? UInt32(parts[1]) ?? 0 : 0)
            } else {
                process.user = try UserResolver.resolve(String(parts[0]), rootfs: record.rootfs, container: id)
            }
        }
        let cgroupProcs = record.cgroup.map { Cgroups.manager(recorded: $0, id: id, system: system).procsFiles } ?? []
        process.terminal = options.consoleSocket != nil
        if options.privileged {
            // Bits past the kernel's last capability are masked by capset and skipped by
            // berth-init's bounding-set loop, so the full list is safe on older kernels.
            let all = Capabilities.names
            process.capabilities = RuntimeSpec.Capabilities(bounding: all, effective: all, permitted: all)
            spec.linux?.seccomp = nil
        }
        let plan = try LaunchPlan(execIn: id, pid: pid, spec: spec, rootfs: record.rootfs, process: process, cgroupProcs: cgroupProcs,
                                  consoleSocket: options.consoleSocket)
        let (monitor, _) = try spawnInit(plan.config, id: id, detach: false, scratch: directory(id))
        do { return try Processes.wait(monitor, stage: "exec") } catch { throw RuntimeError(.system, id, error.description) }
    }
}

extension ContainerRuntime {
    /// Stops a container the way compose does: `signal`, up to `grace` seconds for it to exit,
    /// then SIGKILL. Returns the exit record, which the monitor writes whoever sent the signals.
    public func stop(_ id: String, signal: String = "TERM", grace: Double = 10) throws(RuntimeError) -> ExitRecord {
        let record = try record(id)
        let number = try Signals.number(signal, container: id)
        var current = try state(id)
        if current.status == .paused, let location = record.cgroup {
            // A frozen process cannot act on a signal: thaw it first.
            try Cgroups.manager(recorded: location, id: id, system: system).setFrozen(false)
            current = try state(id)
        }
        if current.status != .stopped {
            _ = Glibc.kill(record.pid, number)
            let deadline = Double(Self.monotonicMilliseconds()) + grace * 1000
            while Double(Self.monotonicMilliseconds()) < deadline && isAlive(record) { usleep(10_000) }
            if isAlive(record) { _ = Glibc.kill(record.pid, SIGKILL) }
        }
        var waited = 0
        while waited < 500 {
            if let exit = exitRecord(id) { return exit }
            if Processes.startTime(record.monitorPid) == nil { break }
            usleep(10_000)
            waited += 1
        }
        throw RuntimeError(.system, id, "the container's monitor ended without recording an exit status")
    }

    static func monotonicMilliseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}

extension ContainerRuntime {
    /// Reclaims what a launch of `id` left when the process running it died before the runtime
    /// wrote the container's state (`kill -9` of the caller mid-launch): every process in the
    /// cgroup the bundle names is killed, then the cgroup and the state directory go, so the same
    /// id can be launched again. A container that has a state is deleted with `delete` instead.
    public func reclaimInterruptedLaunch(_ id: String, bundlePath: String) throws(RuntimeError) {
        try Self.validate(id: id)
        guard !Files.exists(directory(id) + "/state.json") else {
            throw RuntimeError(.invalidState, id, "the container has a state: delete it instead")
        }
        if let bundle = try? RuntimeBundle(path: bundlePath, container: id),
           let cgroup = Cgroups.manager(id: id, path: bundle.spec.linux?.cgroupsPath, system: system).0,
           cgroup.directories.contains(where: system.exists) {
            for pid in cgroup.processes() { try? system.kill(pid, SIGKILL, stage: "reclaim") }
            var waited = 0
            while waited < 200 && !cgroup.processes().isEmpty {
                usleep(10_000)
                waited += 1
            }
            cgroup.destroy()
        }
        if Files.exists(directory(id)) {
            do { try Files.removeTree(directory(id), stage: "reclaim") } catch { throw RuntimeError(.system, id, error.description) }
        }
    }
}
