#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials
import OCISpec
import SystemSupport

/// Berth's OCI runtime: creates, starts, signals and deletes containers from bundles, keeping
/// their state under `stateRoot/<id>`. Every operation is a short call; the long-lived part of a
/// container is its berth-init monitor, so no state is lost when the calling process exits.
public struct ContainerRuntime: Sendable {
    /// Directory holding one subdirectory per container.
    public var stateRoot: String
    /// Path of the berth-init executable.
    public var initPath: String
    /// The Linux calls made from Swift (cgroups, signals, state cleanup); a recording fake in tests.
    public var system: any Syscalls

    public init(stateRoot: String, initPath: String, system: any Syscalls = LinuxSyscalls()) {
        self.stateRoot = stateRoot
        self.initPath = initPath
        self.system = system
    }

    /// Annotation asking for a tiny reaping, signal-forwarding init as PID 1 (compose's
    /// `init: true`): `"io.berth.init": "true"`. The OCI spec has no field for it.
    public static let initAnnotation = "io.berth.init"

    /// The default state root: /run/berth/runtime as root, $XDG_RUNTIME_DIR/berth/runtime otherwise.
    public static func defaultStateRoot() -> String {
        if geteuid() == 0 { return "/run/berth/runtime" }
        if let runtime = getenv("XDG_RUNTIME_DIR") { return String(cString: runtime) + "/berth/runtime" }
        return "/tmp/berth-\(geteuid())/runtime"
    }

    /// Options of `create` and `run`.
    public struct LaunchOptions: Sendable, Hashable {
        /// Wait for `start` before exec'ing the entrypoint (OCI `create`).
        public var waitForStart: Bool
        /// Detach the monitor into its own session (create, run --detach).
        public var detach: Bool
        public var pidFile: String?
        /// Unix socket that receives the pty master when process.terminal is true (runc's protocol).
        public var consoleSocket: String?
        /// When set, the monitor and the container read /dev/null and append their output to this
        /// file instead of sharing the caller's terminal or pipes (a detached container must not
        /// hold its caller's stdout open: `berth up -d | cat` would never end).
        public var outputFile: String?
        /// When set, the container's stdout and stderr are captured by its monitor into this
        /// json-file log, and the monitor's own stdio is /dev/null unless the capture tees. With
        /// `process.terminal` the monitor keeps the pty master and logs what it reads as stdout.
        public var log: LogCapture?
        /// How an overlay root filesystem is mounted; nil: as `BERTH_OVERLAY` says (auto by default).
        public var overlay: OverlayDriver?

        public init(waitForStart: Bool, detach: Bool, pidFile: String? = nil, consoleSocket: String? = nil,
                    outputFile: String? = nil, log: LogCapture? = nil, overlay: OverlayDriver? = nil) {
            self.waitForStart = waitForStart
            self.detach = detach
            self.pidFile = pidFile
            self.consoleSocket = consoleSocket
            self.outputFile = outputFile
            self.log = log
            self.overlay = overlay
        }
    }

    /// The file in a container's state directory where its monitor records the PID of the
    /// container's fuse-overlayfs daemon while it runs.
    static let fuseOverlayPIDFile = "fuse-overlayfs.pid"

    /// Where and how berth-init writes a container's output: docker's json-file format, one
    /// `{"log","stream","time"}` object per line, rotated as docker's `max-size` and `max-file`.
    public struct LogCapture: Sendable, Hashable, Codable {
        /// The live log file; rotated files are `path.1`, `path.2`, … (newest first).
        public var path: String
        /// Rotate before a record would take the file past this many bytes; nil never rotates.
        public var maxSize: Int64?
        /// Files kept, the live one included (1: the live file is truncated instead of rotated).
        public var maxFiles: Int
        /// Also copy the output, as it comes, to the monitor's own stdout and stderr (the caller's,
        /// for a container run in the foreground); with `process.terminal` the monitor also relays
        /// its stdin to the pty, its terminal in raw mode, and passes window size changes on.
        public var tee: Bool
        /// The journald driver: `path` is journald's native socket, and each line is sent there
        /// as an entry carrying these `KEY=value` fields (CONTAINER_ID, CONTAINER_NAME, …); nil
        /// writes the json-file log.
        public var journalFields: [String]?

        public init(path: String, maxSize: Int64? = nil, maxFiles: Int = 1, tee: Bool = false, journalFields: [String]? = nil) {
            self.path = path
            self.maxSize = maxSize
            self.maxFiles = maxFiles
            self.tee = tee
            self.journalFields = journalFields
        }
    }

    /// A launched container.
    public struct Launched: Sendable, Hashable {
        public var pid: Int32
        public var monitorPid: Int32
        /// Things the caller should tell the user (limits not applied, single-ID fallback).
        public var warnings: [String]
    }

    func directory(_ id: String) -> String { stateRoot + "/" + id }

    static func validate(id: String) throws(RuntimeError) {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
        if id.isEmpty || id.count > 128 || id.hasPrefix(".") || !id.allSatisfy({ allowed.contains($0) }) {
            throw RuntimeError(.invalidID, id.isEmpty ? "container" : id,
                               "invalid container ID (use letters, digits, '_', '.' and '-', not starting with '.')")
        }
    }

    /// Sets up the container from `bundlePath` and starts its monitor. With `waitForStart` the
    /// container stops just before exec until `start`.
    public func launch(id: String, bundlePath: String, options: LaunchOptions) throws(RuntimeError) -> Launched {
        try Self.validate(id: id)
        let bundle = try RuntimeBundle(path: bundlePath, container: id)
        let dir = directory(id)
        do { try Files.makeDirectories(stateRoot, mode: 0o700, stage: "state dir") } catch {
            throw RuntimeError(.system, id, error.description)
        }
        if mkdir(dir, 0o700) < 0 {
            if errno == EEXIST { throw RuntimeError(.alreadyExists, id, "a container with this ID already exists in \(stateRoot)") }
            throw RuntimeError(.system, id, SystemError(stage: "state dir", call: "mkdir", object: dir, errno: errno).description)
        }
        do {
            return try spawnMonitor(id: id, bundle: bundle, dir: dir, options: options)
        } catch {
            // A failed create leaves nothing behind.
            try? Files.removeTree(dir, stage: "cleanup")
            throw error
        }
    }

    private func spawnMonitor(id: String, bundle: RuntimeBundle, dir: String, options: LaunchOptions) throws(RuntimeError) -> Launched {
        let overlay: OverlayDriver
        if let chosen = options.overlay { overlay = chosen } else { overlay = try OverlayDriver.fromEnvironment() }
        var plan = try LaunchPlan(id: id, bundle: bundle, stateDirectory: dir, consoleSocket: options.consoleSocket,
                                  terminalToMonitor: options.log != nil, overlay: overlay)
        let resources = bundle.spec.linux?.resources
        let (cgroup, cgroupWarning) = Cgroups.manager(id: id, path: bundle.spec.linux?.cgroupsPath, system: system)
        var launched = false
        var ownCgroup: (any CgroupManager)?
        defer { if !launched { ownCgroup?.destroy() } }
        if let cgroup {
            // A container killed together with its monitor (kill -9, the OOM killer, a test's
            // power cut) leaves its cgroup behind, empty; its state directory went with the
            // runtime directory or was just made above, so nothing else claims it: removed, and
            // made afresh. A cgroup with processes in it is another container's.
            if cgroup.directories.contains(where: system.exists), cgroup.processes().isEmpty { cgroup.destroy() }
            if let used = cgroup.directories.first(where: system.exists) {
                throw RuntimeError(.alreadyExists, id, "cgroup \(used) already exists (another container uses this cgroupsPath); set linux.cgroupsPath or delete that container")
            }
            ownCgroup = cgroup
            plan.warnings += try cgroup.create(resources)
            for file in cgroup.procsFiles { plan.config.add("cgroup", file) }
        } else if let cgroupWarning, let resources {
            plan.warnings.append("\(cgroupWarning); not applied: \(Self.limitNames(resources).joined(separator: ", "))")
        }
        if options.waitForStart {
            if mkfifo(dir + "/exec.fifo", 0o600) < 0 {
                throw RuntimeError(.system, id, SystemError(stage: "create", call: "mkfifo", object: dir + "/exec.fifo", errno: errno).description)
            }
            plan.config.add("fifo", dir + "/exec.fifo")
        }
        var outputFile = options.outputFile
        if let log = options.log {
            if bundle.spec.process?.terminal == true && options.consoleSocket != nil {
                throw RuntimeError(.invalidConfig, id, "process.terminal is true: the pty master goes either to --console-socket or to the log capture (\(log.path)), not both")
            }
            plan.config.add("logpath", log.path)
            if let maxSize = log.maxSize, maxSize > 0 { plan.config.add("logmaxsize", String(maxSize)) }
            plan.config.add("logmaxfiles", String(max(1, log.maxFiles)))
            if let fields = log.journalFields {
                plan.config.add("logjournal")
                for field in fields { plan.config.add("logfield", field) }
            }
            if log.tee { plan.config.add("logtee") } else { outputFile = "/dev/null" }
        }
        let (monitor, pid) = try spawnInit(plan.config, id: id, detach: options.detach, scratch: dir,
                                           outputFile: outputFile)
        let record = ContainerRecord(id: id, bundle: bundle.path, rootfs: bundle.rootfs, pid: pid, pidStartTime: Processes.startTime(pid) ?? 0,
                                     monitorPid: monitor, created: Self.timestamp(), cgroup: cgroup?.location,
                                     annotations: bundle.spec.annotations)
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            // Live state describes processes, which a reboot ends: atomic (rename) but not fsync'd.
            try Files.writeAtomically(dir + "/state.json", Array(try encoder.encode(record)), durable: false, stage: "state")
            // The spec as created: exec uses it even if the bundle changes afterwards.
            try Files.writeAtomically(dir + "/config.json", Array(try encoder.encode(bundle.spec)), durable: false, stage: "state")
            if let pidFile = options.pidFile { try Files.writeAtomically(pidFile, Array("\(pid)".utf8), stage: "pid file") }
        } catch let error as SystemError {
            throw RuntimeError(.system, id, error.description)
        } catch {
            throw RuntimeError(.system, id, "encoding state: \(error)")
        }
        launched = true
        return Launched(pid: pid, monitorPid: monitor, warnings: plan.warnings)
    }

    /// Spawns berth-init with `config` and waits for its report: the container's PID, or the
    /// error that stopped it (then the monitor has exited and been reaped).
    func spawnInit(_ config: InitConfig, id: String, detach: Bool, scratch: String,
                   outputFile: String? = nil) throws(RuntimeError) -> (monitor: pid_t, pid: Int32) {
        var stdio: [Int32: Int32] = [0: 0, 1: 1, 2: 2]
        var opened: [Int32] = []
        defer { opened.forEach { close($0) } }
        if let outputFile {
            let input = open("/dev/null", O_RDONLY | O_CLOEXEC)
            let output = open(outputFile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
            opened = [input, output].filter { $0 >= 0 }
            guard input >= 0, output >= 0 else {
                throw RuntimeError(.system, id, SystemError(stage: "container output", call: "open", object: outputFile, errno: errno).description)
            }
            stdio = [0: input, 1: output, 2: output]
        }
        let configFD: Int32
        do {
            configFD = try Files.anonymousFile(in: scratch, stage: "init config")
            try Files.writeAll(configFD, config.bytes, object: "init config", stage: "init config")
        } catch { throw RuntimeError(.system, id, error.description) }
        defer { close(configFD) }
        var report: [Int32] = [0, 0]
        // Close-on-exec from birth: a channel made close-on-exec in a second step could be inherited
        // by a monitor another thread spawns in between (the engine launches in parallel), and
        // that launch would never see end-of-file. pipe2 is hidden by the Glibc overlay behind
        // _GNU_SOURCE; a socket pair with SOCK_CLOEXEC reads and writes the same way.
        if socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &report) < 0 {
            throw RuntimeError(.system, id, SystemError(stage: "spawn monitor", call: "socketpair", object: "report channel", errno: errno).description)
        }
        let monitor: pid_t
        do {
            monitor = try Spawn.spawn(initPath, arguments: ["berth-init"],
                                      options: .init(descriptors: stdio.merging([3: configFD, 4: report[1]]) { $1 },
                                                     newSession: detach, environment: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]),
                                      stage: "spawn monitor")
        } catch {
            close(report[0]); close(report[1])
            throw RuntimeError(.system, id, "\(error) (berth-init is expected next to the berth executable)")
        }
        close(report[1])
        let line = Self.readLine(report[0])
        close(report[0])
        if !line.hasPrefix("pid ") {
            let status = try? Processes.wait(monitor, stage: "monitor")
            throw Self.setupError(line, container: id, status: status)
        }
        guard let pid = Int32(line.dropFirst(4).filter { $0 != " " }) else {
            throw RuntimeError(.containerSetup, id, "berth-init reported \"\(line)\"")
        }
        return (monitor, pid)
    }

    /// Waits for a foreground container's monitor, whose exit status mirrors the container's.
    public func wait(_ launched: Launched, id: String) throws(RuntimeError) -> ExitStatus {
        do { return try Processes.wait(launched.monitorPid, stage: "wait") } catch {
            throw RuntimeError(.system, id, error.description)
        }
    }

    /// The spec names of the limits in `resources`, for "not applied" warnings.
    static func limitNames(_ resources: RuntimeSpec.Resources) -> [String] {
        var names: [String] = []
        if resources.memory?.limit != nil { names.append("memory.limit") }
        if resources.memory?.reservation != nil { names.append("memory.reservation") }
        if resources.memory?.swap != nil { names.append("memory.swap") }
        if resources.cpu?.shares != nil { names.append("cpu.shares") }
        if resources.cpu?.quota != nil { names.append("cpu.quota") }
        if resources.cpu?.cpus != nil { names.append("cpu.cpus") }
        if resources.pids != nil { names.append("pids.limit") }
        return names
    }

    static func setupError(_ line: String, container: String, status: ExitStatus?) -> RuntimeError {
        // "err CODE MESSAGE"
        let parts = line.split(separator: " ", maxSplits: 2)
        let message = parts.count == 3 ? String(parts[2])
            : "berth-init exited with \(status.map { "\($0)" } ?? "no status") before reporting"
        let code = parts.count >= 2 ? Int32(parts[1]) ?? 1 : 1
        switch code {
        case 127: return RuntimeError(.entrypointNotFound, container, message)
        case 126: return RuntimeError(.entrypointNotExecutable, container, message)
        default: return RuntimeError(.containerSetup, container, message)
        }
    }

    static func readLine(_ fd: Int32) -> String {
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while bytes.count < 4096 {
            let n = read(fd, &byte, 1)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 || byte == UInt8(ascii: "\n") { break }
            bytes.append(byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func timestamp() -> String {
        Date().formatted(.iso8601)
    }
}
