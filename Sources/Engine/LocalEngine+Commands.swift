import EngineAPI
import Foundation
import OCISpec
import Runtime
import StateStore
import Supervisor
import SystemSupport

/// What the compose commands beyond the reconciler's contract need of one container: a process
/// run inside it (`exec`), its processes (`top`), its files (`cp`), its end (`wait`), and the
/// lifecycle events (`events`). Not on `ContainerEngine`: the planner never needs them.
extension LocalEngine {
    /// What `exec` runs, as `docker compose exec` takes it.
    public struct ExecRequest: Sendable, Hashable {
        public var command: [String]
        /// `NAME=value` entries, added to (and overriding) the container's environment.
        public var environment: [String] = []
        public var workingDirectory: String?
        /// `uid[:gid]` or a user name from the container's /etc/passwd.
        public var user: String?
        /// A listening unix socket: the process gets a pseudo-terminal of the container's own and
        /// its master is sent there (runc's console socket); nil shares this process's streams.
        public var consoleSocket: String?
        /// `exec --privileged`: every capability and no seccomp filter, in the container's namespaces.
        public var privileged: Bool

        public init(command: [String], environment: [String] = [], workingDirectory: String? = nil, user: String? = nil,
                    consoleSocket: String? = nil, privileged: Bool = false) {
            self.command = command
            self.environment = environment
            self.workingDirectory = workingDirectory
            self.user = user
            self.consoleSocket = consoleSocket
            self.privileged = privileged
        }
    }

    /// Runs `request` in the running container `id` with this process's standard descriptors
    /// and returns its exit code (128 + N when signal N ended it), as `docker exec` passes it on.
    public func exec(id: String, _ request: ExecRequest) async throws(EngineError) -> Int32 {
        let record = try stored(id)
        let object = "container \(record.name)"
        let options = ContainerRuntime.ExecOptions(args: request.command, env: request.environment,
                                                   cwd: request.workingDirectory, user: request.user,
                                                   consoleSocket: request.consoleSocket, privileged: request.privileged)
        let status = try await Blocking.run { () throws(EngineError) -> ExitStatus in
            try self.runtimeCall(object) { () throws(RuntimeError) -> ExitStatus in try self.runtime.exec(id, options) }
        }
        return status.shellCode
    }

    /// The runtime's state directory, for a detached helper (`berth runtime --root … exec`) that
    /// must outlive this process.
    public var runtimeStateDirectory: String { locations.runtimeState }

    /// Host PIDs of every process of container `id`; empty when it does not run.
    public func processes(id: String) throws(EngineError) -> [Int32] {
        let record = try stored(id)
        guard try runtimeState(id, object: "container \(record.name)").map({ $0.status != .stopped }) == true else { return [] }
        return try runtimeCall("container \(record.name)") { () throws(RuntimeError) -> [Int32] in try runtime.processes(id) }
    }

    /// Where the files of container `id` are, as `cp` reads and writes them.
    public enum FileView: Sendable, Hashable {
        /// A running (or paused) container: its merged root, seen through `/proc/<pid>/root`.
        case live(root: String)
        /// A stopped one: its writable layer first, then the image's layers, top to base; overlay
        /// whiteouts in them hide what is below.
        case layered(upper: String, lower: [String])
    }

    /// The file view of container `id` now.
    public func fileView(id: String) throws(EngineError) -> FileView {
        let record = try stored(id)
        let object = "container \(record.name)"
        if let state = try runtimeState(id, object: object), state.status != .stopped, let pid = state.pid {
            return .live(root: "/proc/\(pid)/root")
        }
        let image = try imageDetails(record.imageID, object: object)
        let layers: [URL]
        do { layers = try images.unpack(image) } catch {
            throw EngineError(.imageUnavailable, object: object, "unpacking \(record.image): \(error)")
        }
        return .layered(upper: locations.layer(id) + "/upper", lower: layers.reversed().map(\.path))
    }

    /// Waits until container `id` is no longer running and returns its exit code. Sleeps on the
    /// runtime's state directory through inotify (the monitor writes `exit.json` there), so a
    /// long wait costs nothing.
    public func waitForExit(id: String) async throws(EngineError) -> Int32 {
        let record = try stored(id)
        let object = "container \(record.name)"
        let directory = locations.runtimeState + "/" + id
        try await Blocking.run { () throws(EngineError) in
            let watcher = DirectoryWatcher(directory)
            while let state = try self.runtimeState(id, object: object), state.status != .stopped {
                watcher.wait(timeoutMilliseconds: 1000)
            }
        }
        return Int32(truncatingIfNeeded: try refresh(try stored(id)).exitCode ?? 0)
    }

    /// Every lifecycle event after `sequence` (of `project` when given), oldest first.
    public func events(after sequence: Int64?, project: String?) throws(EngineError) -> [EventRecord] {
        try stateCall("events") { () throws(StateError) -> [EventRecord] in try store.events(after: sequence, project: project) }
    }

    /// The newest event's sequence number: `events` prints only what comes after it.
    public func lastEventSequence() throws(EngineError) -> Int64? {
        try stateCall("events") { () throws(StateError) -> Int64? in try store.lastEventSequence() }
    }

    /// Blocks (on a thread of its own) until the state database changes or `timeout` passes:
    /// every write goes through its write-ahead log, which inotify reports.
    public func waitForStateChange(timeoutMilliseconds: Int32) async {
        let directory = (locations.database as NSString).deletingLastPathComponent
        _ = try? await Blocking.run { () throws(EngineError) in
            DirectoryWatcher(directory).wait(timeoutMilliseconds: timeoutMilliseconds)
        }
    }

    /// Every project with containers, with its containers' states brought up to date first.
    public func projects() async throws(EngineError) -> [ProjectSummary] {
        let summaries = try stateCall("projects") { () throws(StateError) -> [ProjectSummary] in try store.projects() }
        for summary in summaries { _ = try await observe(project: summary.name) }
        return try stateCall("projects") { () throws(StateError) -> [ProjectSummary] in try store.projects() }
    }
}

/// An inotify watch on one directory: `wait` returns when something in it is created, written,
/// moved or deleted, or when the timeout passes. A directory that cannot be watched (it does not
/// exist yet) degrades to the timeout, which callers use as a re-check period.
final class DirectoryWatcher {
    private let descriptor: Int32

    init(_ path: String) {
        descriptor = inotify_init1(Int32(IN_CLOEXEC))
        if descriptor >= 0 {
            _ = inotify_add_watch(descriptor, path, UInt32(IN_CREATE | IN_MODIFY | IN_MOVED_TO | IN_DELETE | IN_CLOSE_WRITE | IN_DELETE_SELF))
        }
    }

    deinit { if descriptor >= 0 { close(descriptor) } }

    func wait(timeoutMilliseconds: Int32) {
        guard descriptor >= 0 else {
            usleep(useconds_t(timeoutMilliseconds) * 1000)
            return
        }
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, timeoutMilliseconds) > 0 else { return }
        var buffer = [UInt8](repeating: 0, count: 4096)
        _ = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
    }
}

extension LocalEngine {
    /// What `inspect` shows of container `id`, its state brought up to date first.
    public func details(id: String) throws(EngineError) -> ContainerDetails {
        let record = try refresh(try stored(id))
        let object = "container \(record.name)"
        let bundle: RuntimeSpec?
        if let bytes = FileManager.default.contents(atPath: locations.layer(id) + "/config.json") {
            bundle = try? JSONDecoder().decode(RuntimeSpec.self, from: bytes)
        } else {
            bundle = nil
        }
        // The service's entrypoint and command as recorded, over the image's, merged as docker
        // merges them (a service entrypoint drops the image's command).
        func recorded(_ key: String) -> [String]? {
            guard let json = record.recordedConfig[key], let data = json.data(using: .utf8) else { return nil }
            if let words = try? JSONDecoder().decode([String].self, from: data) { return words }
            return (try? JSONDecoder().decode(String.self, from: data)).map { ["/bin/sh", "-c", $0] }
        }
        let image = (try? imageDetails(record.imageID, object: object))?.config.config
        let entrypoint = recorded("entrypoint") ?? image?.entrypoint ?? []
        let command = recorded("command") ?? (recorded("entrypoint") == nil ? image?.cmd ?? [] : [])
        let settings = supervisionSettings(record)
        let volumes = locations.data + "/volumes/"
        let runtimeMounts: Set<String> = ["/", "/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/sys/fs/cgroup"]
        let mounts = (bundle?.mounts ?? []).compactMap { mount -> ContainerDetails.Mount? in
            guard !runtimeMounts.contains(mount.destination) else { return nil }
            let source = mount.source ?? ""
            // The network files (`hosts`, `hostname`, `resolv.conf`) come from the container's own directory.
            if source.hasPrefix(locations.data + "/containers/") { return nil }
            let readWrite = !(mount.options ?? []).contains("ro")
            if mount.type == "tmpfs" {
                return .init(type: "tmpfs", name: nil, source: "", destination: mount.destination, readWrite: readWrite)
            }
            if source.hasPrefix(volumes) {
                let name = source.dropFirst(volumes.count).split(separator: "/").first.map(String.init)
                return .init(type: "volume", name: name, source: source, destination: mount.destination, readWrite: readWrite)
            }
            return .init(type: "bind", name: nil, source: source, destination: mount.destination, readWrite: readWrite)
        }
        let process = bundle?.process
        let running = record.state == .running || record.state == .paused
        let user: String = recordedUser(record) ?? image?.user ?? ""
        let maximumRetries: Int = settings.restart.maximumRetries ?? 0
        return ContainerDetails(
            id: record.id, name: record.name, project: record.project, service: record.service, oneoff: record.oneoff,
            created: record.createdAt, status: record.state.rawValue, pid: running ? record.pid : nil,
            exitCode: record.exitCode, startedAt: record.startedAt, finishedAt: record.finishedAt, restartCount: record.restartCount,
            image: record.image, imageID: record.imageID, labels: record.labels,
            health: record.health, healthFailingStreak: record.healthFailingStreak, healthLog: record.healthLog,
            entrypoint: entrypoint, command: command, environment: process?.env ?? [], workingDirectory: process?.cwd ?? "/",
            user: user, hostname: bundle?.hostname ?? "", tty: process?.terminal ?? false,
            restartPolicy: settings.restart.mode.rawValue, restartMaximumRetries: maximumRetries,
            mounts: mounts, networks: record.networks, portBindings: record.portBindings, publishedPorts: record.publishedPorts)
    }

    private func recordedUser(_ record: StoredContainer) -> String? {
        guard let json = record.recordedConfig["user"], let data = json.data(using: .utf8) else { return nil }
        return try? JSONDecoder().decode(String.self, from: data)
    }
}
