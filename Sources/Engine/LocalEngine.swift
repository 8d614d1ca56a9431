import EngineAPI
import Foundation
import Images
import OCISpec
import Runtime
import StateStore
import Synchronization
import Supervisor
import SystemSupport

/// The `ContainerEngine` of this machine: images from `Images`, containers through Berth's own
/// runtime (`Runtime`, one berth-init monitor per container), and the durable record of both in
/// `StateStore`. Every method is a short call; nothing of a container lives in this process, so
/// the CLI may exit and a later `LocalEngine` picks the containers up from the store.
public final class LocalEngine: ContainerEngine {
    public let locations: EngineLocations
    let images: ImageStore
    let runtime: ContainerRuntime
    let store: StateStore
    let rootless: Bool
    /// The `berth` executable, which runs health probes (`berth runtime exec`) and supervisors.
    public let berthPath: String
    /// The runtime passes descriptors to berth-init through a pipe it makes without O_CLOEXEC
    /// set atomically; two launches at once could leak one end into the other's monitor and
    /// keep a report pipe from closing. Launches are short: they are serialized.
    private let launching = Mutex(())

    /// Opens the image store and the state database under `locations`; `initPath` is the
    /// berth-init executable (by default next to the running executable).
    public init(locations: EngineLocations = .current(), initPath: String? = nil) throws(EngineError) {
        self.locations = locations
        rootless = geteuid() != 0
        // /proc/self/exe, not argv[0]: `berth` found on PATH has no directory in argv[0].
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? "/usr/bin/berth"
        let executableDirectory = URL(fileURLWithPath: executable).deletingLastPathComponent().path
        runtime = ContainerRuntime(stateRoot: locations.runtimeState, initPath: initPath ?? executableDirectory + "/berth-init")
        berthPath = ProcessInfo.processInfo.environment["BERTH_EXECUTABLE"] ?? executableDirectory + "/berth"
        do {
            images = try ImageStore(dataDirectory: URL(fileURLWithPath: locations.data, isDirectory: true))
        } catch {
            throw EngineError(.failed, object: "image store \(locations.data)/images", error.message)
        }
        do { store = try StateStore(path: locations.database) } catch {
            throw EngineError(.failed, object: "state database \(locations.database)", error.message)
        }
    }

    // MARK: containers

    public func createContainer(_ spec: ContainerSpec) async throws(EngineError) -> String {
        try await create(spec, attached: false).id
    }

    /// Creates the container up to just before its entrypoint; `attached` launches its monitor
    /// in this process's session with this process's stdio (see `runAttached`).
    func create(_ spec: ContainerSpec, attached: Bool) async throws(EngineError) -> (id: String, launched: ContainerRuntime.Launched) {
        let object = "container \(spec.name)"
        if try containerNamed(spec.name) != nil {
            throw EngineError(.conflict, object: object, "the name is in use: remove that container or choose another container_name")
        }
        let id = Self.newID()
        let image = try imageDetails(spec.imageID.isEmpty ? spec.image : spec.imageID, object: object)
        let layers: [URL]
        do { layers = try images.unpack(image) } catch {
            throw EngineError(.imageUnavailable, object: object, "unpacking \(spec.image): \(error)")
        }
        let process = try ProcessSettings(image: image.config.config, spec: spec)
        let supervision = try SupervisionSettings(spec: spec, image: image.config.config)
        let layer = locations.layer(id)
        do {
            try Files.makeDirectories(layer + "/work", mode: 0o700, stage: "create")
            // The upper dir's mode is the container's `/`: 0700 would shut every user but root out.
            try Files.makeDirectories(layer + "/upper", mode: 0o755, stage: "create")
            let maps = rootless ? IDMapping.currentUserMaps() : (uid: IDMapping.identity, gid: IDMapping.identity, fallback: false)
            let files = FileMounts(directory: layer + "/files", rootless: rootless)
            var fileSources: [Int: String] = [:]
            var pendingOwners: [FileMounts.PendingOwner] = []
            for (index, mount) in spec.mounts.enumerated() where mount.kind == .file {
                let written = try files.materialize(mount, index: index, object: object)
                fileSources[index] = written.path
                if let pending = written.pending { pendingOwners.append(pending) }
            }
            let sources = fileSources
            let rootless = self.rootless
            let builder = BundleBuilder(
                spec: spec, id: id, process: process, layers: layers.map(\.path), upperDir: layer + "/upper", workDir: layer + "/work",
                rootless: rootless, uidMappings: maps.uid, gidMappings: maps.gid,
                volumePath: { (mount, index) throws(EngineError) in try self.volumeDirectory(for: mount, index: index, container: id, inheritFrom: spec.inheritAnonymousVolumesFrom, object: object) },
                containerPID: { (other) throws(EngineError) in try self.pid(of: other, for: object) },
                fileSource: { (mount, index) throws(EngineError) in
                    guard let path = sources[index] else { throw EngineError(.failed, object: object, "\(mount.target): no file was written") }
                    return path
                },
                sharedMountsOf: { (other) throws(EngineError) in try self.sharedMounts(of: other, for: object) },
                privilegedCapabilities: rootless ? Capabilities.names : BundleBuilder.boundingCapabilities(),
                hostDevices: { HostDevices.list(rootless: rootless) })
            let built = try builder.build()
            try fillEmptyVolumes(spec, mounts: built.spec.mounts ?? [], layers: layers.map(\.path), object: object)
            var oci = built.spec
            try prepareNetwork(spec, id: id, oci: &oci)
            for mount in spec.mounts where mount.kind == .bind && mount.createHostPath {
                if let source = mount.source, !Files.exists(source) { try Files.makeDirectories(source, stage: "bind source") }
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            // The durable copy: the bundle under the runtime dir is rebuilt from it after a reboot.
            try Files.writeAtomically(layer + "/config.json", Array(try encoder.encode(oci)), mode: 0o600, stage: "create")
            try Files.writeAtomically(layer + "/" + Self.sharedMountsFile, Array(try encoder.encode(built.sharedMounts)),
                                      mode: 0o600, stage: "create")
            var record = StoredContainer(
                id: id, name: spec.name, project: spec.labels[ResourceLabels.project] ?? "",
                service: spec.labels[ResourceLabels.service] ?? spec.name,
                number: spec.labels[ResourceLabels.containerNumber].flatMap { Int($0) } ?? 1,
                oneoff: spec.labels[ResourceLabels.oneoff] == ResourceLabels.boolean(true),
                image: spec.image, imageID: image.id.description, configHash: spec.labels[ResourceLabels.configHash] ?? "",
                labels: spec.labels, recordedConfig: spec.recordedConfig, state: .created)
            record.portBindings = spec.ports.map {
                PortBindingRecord(hostIP: $0.hostIP, hostPort: $0.hostPort, containerPort: $0.containerPort, proto: $0.proto)
            }
            record.supervision = String(decoding: try JSONEncoder().encode(supervision), as: UTF8.self)
            // Recorded before launch so that a crash between the two leaves a record the next
            // `observe` shows (and `down` removes) rather than an orphan process.
            try save(record)
            do {
                let result = try await launch(id, object: object, attached: attached)
                // Before the entrypoint runs: the container waits until it is started.
                try FileMounts.setOwners(pendingOwners, containerPID: result.launched.pid, object: object)
                record.pid = Int(result.launched.pid)
                record.networks = result.networks
                try save(record)
                appendEvent("create", record, ["image": spec.image])
                return (id, result.launched)
            } catch {
                try? removeStorage(id)
                try? store.removeContainer(id: id)
                throw error
            }
        } catch let error as EngineError {
            try? FileManager.default.removeItem(atPath: layer)
            throw error
        } catch {
            try? FileManager.default.removeItem(atPath: layer)
            throw EngineError(.failed, object: object, "\(error)")
        }
    }

    public func renameContainer(id: String, to name: String) async throws(EngineError) {
        var record = try stored(id)
        if let other = try containerNamed(name), other.id != id {
            throw EngineError(.conflict, object: "container \(name)", "the name is in use by container \(other.id.prefix(12))")
        }
        record.name = name
        try save(record)
    }

    /// Starts the container as the user asks it (`up`, `start`): the restart count starts again
    /// and a stop by the user is forgotten, so restart policies apply again.
    public func startContainer(id: String) async throws(EngineError) {
        try await start(id, restartCount: nil)
    }

    /// Starts `id`; `restartCount` is the supervisor's count for a restart by policy, nil for a
    /// start by the user.
    func start(_ id: String, restartCount: Int?) async throws(EngineError) {
        var record = try stored(id)
        let object = "container \(record.name)"
        let state = try runtimeState(id, object: object)
        switch state?.status {
        case .running, .paused:
            return
        case .created where record.pid != nil:
            break
        case .created, .stopped, .creating, nil:
            // A created container without a recorded pid is one whose `berth` died during its
            // launch: its init may wait for a handshake that will never come, and starting it
            // would wait for ever. It is launched again, like a stopped one.
            // A runtime container runs once: a restart is a new launch from the same bundle,
            // over the same upper dir, so the container keeps its files.
            if state != nil {
                try runtimeCall(object) { () throws(RuntimeError) in try runtime.delete(id, force: true) }
            } else if Self.isEngineID(id) {
                // A launch cut short before the runtime wrote the state may have left a cgroup
                // (with an init waiting in it) and a state directory: reclaimed before relaunching.
                let bundle = locations.bundle(id)
                try runtimeCall(object) { () throws(RuntimeError) in try runtime.reclaimInterruptedLaunch(id, bundlePath: bundle) }
            }
            record.networks = try await launch(id, object: object).networks
        }
        try await Blocking.run { () throws(EngineError) in
            try self.runtimeCall(object) { () throws(RuntimeError) in try self.runtime.start(id) }
        }
        record.state = .running
        record.pid = try runtimeState(id, object: object)?.pid.map { Int($0) }
        record.exitCode = nil
        record.startedAt = Date()
        record.finishedAt = nil
        record.restartCount = restartCount ?? 0
        if restartCount == nil { record.stoppedByUser = false }
        // A new run is judged afresh: docker resets the status (not the log) on every start.
        let checked = supervisionSettings(record).healthCheck != nil
        record.health = checked ? HealthState.Status.starting.rawValue : nil
        record.healthFailingStreak = 0
        try save(record)
        appendEvent("start", record)
    }

    public func stopContainer(id: String, signal: String, gracePeriod: Double) async throws(EngineError) {
        let record = try stored(id)
        let object = "container \(record.name)"
        try markStoppedByUser(id, object: object)
        guard let state = try runtimeState(id, object: object), state.status != .stopped else {
            try refresh(record)
            return
        }
        let exit = try await Blocking.run { () throws(EngineError) -> ExitRecord in
            try self.runtimeCall(object) { () throws(RuntimeError) -> ExitRecord in
                try self.runtime.stop(id, signal: signal, grace: gracePeriod)
            }
        }
        try stateCall(object) { () throws(StateError) in try store.recordExit(id: id, code: Int(exit.exitCode)) }
        try refresh(try stored(id))
        appendEvent("die", record, ["exitCode": String(exit.exitCode)])
        appendEvent("stop", record)
    }

    public func killContainer(id: String, signal: String) async throws(EngineError) {
        let record = try stored(id)
        let object = "container \(record.name)"
        try markStoppedByUser(id, object: object)
        try runtimeCall(object) { () throws(RuntimeError) in try runtime.kill(id, signal: signal) }
        appendEvent("kill", record, ["signal": signal])
    }

    public func removeContainer(id: String, force: Bool, removeAnonymousVolumes: Bool) async throws(EngineError) {
        guard let record = try stateCall("container \(id)", { () throws(StateError) in try store.container(id: id) }) else {
            // Absent is not an error, but leftovers of an interrupted removal still go.
            try removeStorage(id)
            return
        }
        let object = "container \(record.name)"
        if let state = try runtimeState(id, object: object) {
            // A created container never ran its entrypoint (its init waits before exec), so
            // removing it loses nothing; docker removes created containers without force too.
            if state.status != .stopped && state.status != .created && !force {
                throw EngineError(.conflict, object: object, "the container is \(state.status.rawValue): stop it first or remove it with force")
            }
            try await Blocking.run { () throws(EngineError) in
                try self.runtimeCall(object) { () throws(RuntimeError) in try self.runtime.delete(id, force: true) }
            }
        }
        try removeStorage(id)
        try releaseAddresses(of: id)
        if removeAnonymousVolumes {
            for volume in try stateCall(object, { () throws(StateError) in try store.volumes(project: "") })
            where volume.labels[Self.anonymousVolumeOwner] == id {
                try await removeVolume(name: volume.name)
            }
        }
        try stateCall(object) { () throws(StateError) in try store.removeContainer(id: id) }
        appendEvent("destroy", record)
    }

    public func pauseContainer(id: String) async throws(EngineError) { try await setPaused(id, true) }
    public func unpauseContainer(id: String) async throws(EngineError) { try await setPaused(id, false) }

    /// Returns once the runtime reports the new state, as `docker pause` does: the v1 freezer
    /// passes through FREEZING, which the runtime reports as running, and a caller that reads
    /// files the container writes must not see it move after pause returned.
    private func setPaused(_ id: String, _ paused: Bool) async throws(EngineError) {
        var record = try stored(id)
        let object = "container \(record.name)"
        try runtimeCall(object) { () throws(RuntimeError) in try runtime.setPaused(id, paused) }
        let wanted: RuntimeSpecState.Status = paused ? .paused : .running
        try await Blocking.run { () throws(EngineError) in
            for _ in 0..<500 {
                if try self.runtimeState(id, object: object)?.status == wanted { return }
                usleep(10_000)
            }
            throw EngineError(.failed, object: object, "the container did not become \(wanted.rawValue) within 5 s (cgroup freezer busy?)")
        }
        record.state = paused ? .paused : .running
        try save(record)
        appendEvent(paused ? "pause" : "unpause", record)
    }

    // MARK: helpers

    /// Recorded before the signal is sent, so a supervisor that sees the exit already knows it
    /// must not restart the container.
    private func markStoppedByUser(_ id: String, object: String) throws(EngineError) {
        try stateCall(object) { () throws(StateError) in try store.updateContainer(id: id) { $0.stoppedByUser = true } }
    }

    /// Writes the bundle (if a reboot emptied the runtime dir), launches the container up to
    /// just before its entrypoint and wires its network; returns what the runtime reported and
    /// the container's network attachments.
    private func launch(_ id: String, object: String, attached: Bool = false) async throws(EngineError)
        -> (launched: ContainerRuntime.Launched, networks: [AttachmentRecord]) {
        let bundle = locations.bundle(id)
        do {
            try Files.makeDirectories(bundle + "/rootfs", mode: 0o700, stage: "bundle")
            try Files.writeAtomically(bundle + "/config.json", try Files.readBytes(locations.layer(id) + "/config.json", stage: "bundle"),
                                      mode: 0o600, durable: false, stage: "bundle")
        } catch {
            throw EngineError(.failed, object: object, error.description)
        }
        let spec = (try? RuntimeBundle(path: bundle, container: id))?.spec
        let logging = LogSettings(annotations: spec?.annotations ?? [:])
        // Detached: the monitor outlives this process, so it must not hold our stdio. It captures
        // the container's output into the json-file log beside the layer (driver `none`: nowhere).
        // Attached (`run`): the monitor shares our stdio and copies the output to it as well.
        var capture = logging.capture(path: locations.log(id), container: id)
        if capture == nil && spec?.process?.terminal == true {
            // Driver none with a tty: the pty master still needs a reader, or the container blocks.
            capture = ContainerRuntime.LogCapture(path: "/dev/null")
        }
        capture?.tee = attached
        let options = ContainerRuntime.LaunchOptions(waitForStart: true, detach: !attached,
                                                     outputFile: attached ? nil : "/dev/null", log: capture)
        let launched = try await Blocking.run { () throws(EngineError) -> ContainerRuntime.Launched in
            try self.launching.withLock { _ throws(EngineError) -> ContainerRuntime.Launched in
                try self.runtimeCall(object) { () throws(RuntimeError) -> ContainerRuntime.Launched in
                    try self.runtime.launch(id: id, bundlePath: bundle, options: options)
                }
            }
        }
        // The container waits before its entrypoint: its network is wired before it runs
        // (rootless through the per-user network namespace it joined).
        let pid = launched.pid
        do {
            if let adjustment = spec?.process?.oomScoreAdj {
                // Berth's runtime leaves it; the entrypoint and its children inherit it from init.
                try Self.setOOMScoreAdjustment(adjustment, pid: pid, object: object)
            }
            let networks = try await Blocking.run { () throws(EngineError) -> [AttachmentRecord] in
                try self.connectNetworks(id, pid: pid, object: object)
            }
            return (launched, networks)
        } catch {
            try? runtime.delete(id, force: true)
            throw error
        }
    }

    /// `oom_score_adj` of the container's init, before its entrypoint runs. Lowering it needs
    /// CAP_SYS_RESOURCE (never rootless; not on every VM's root either).
    static func setOOMScoreAdjustment(_ adjustment: Int, pid: Int32, object: String) throws(EngineError) {
        do {
            let fd = open("/proc/\(pid)/oom_score_adj", O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else { throw SystemError(stage: "oom_score_adj", call: "open", object: "/proc/\(pid)/oom_score_adj", errno: errno) }
            defer { close(fd) }
            try Files.writeAll(fd, Array("\(adjustment)".utf8), object: "/proc/\(pid)/oom_score_adj", stage: "oom_score_adj")
        } catch {
            throw EngineError(.failed, object: object,
                              "oom_score_adj \(adjustment): \(error) (a value below the current one needs CAP_SYS_RESOURCE, which rootless containers never have)")
        }
    }

    /// Removes the bundle, the writable layer and the runtime's state of `id`.
    func removeStorage(_ id: String) throws(EngineError) {
        // The id becomes a path: only ids this engine could have made are acted on.
        guard Self.isEngineID(id) else { return }
        if Files.exists(locations.runtimeState + "/" + id) {
            try runtimeCall("container \(id)") { () throws(RuntimeError) in try runtime.delete(id, force: true) }
        }
        for path in [locations.bundle(id), locations.layer(id)] where Files.exists(path) {
            if rootless { Self.makeDirectoriesWritable(path) }
            do { try Files.removeTree(path, stage: "remove") } catch {
                throw EngineError(.failed, object: "container \(id)", error.description)
            }
        }
    }

    /// Gives the owner write and search permission on every directory under `path`. Overlay
    /// leaves its `work/work` at mode 000; as root that does not matter, but rootless the user is
    /// only its owner (container root is mapped to the user) and could not remove it otherwise.
    /// Files that container users other than root created are owned by subordinate IDs and stay
    /// out of reach here (that needs the user namespace: see the report of issue 6).
    static func makeDirectoriesWritable(_ path: String) {
        var info = stat()
        guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else { return }
        if info.st_uid == geteuid() && info.st_mode & 0o700 != 0o700 { chmod(path, (info.st_mode & 0o7777) | 0o700) }
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] {
            makeDirectoriesWritable(path + "/" + entry)
        }
    }

    func stored(_ id: String) throws(EngineError) -> StoredContainer {
        guard let record = try stateCall("container \(id)", { () throws(StateError) in try store.container(id: id) }) else {
            throw EngineError(.notFound, object: "container \(id)", "no such container (see `berth ps -a`)")
        }
        return record
    }

    func containerNamed(_ name: String) throws(EngineError) -> StoredContainer? {
        try stateCall("container \(name)") { () throws(StateError) -> StoredContainer? in try store.container(named: name) }
    }

    /// Appends a lifecycle event for `berth events`. The action it records has happened by now,
    /// so a failure to write the event must not turn it into a failed command: it is dropped.
    func appendEvent(_ action: String, _ record: StoredContainer, _ attributes: [String: String] = [:]) {
        _ = try? store.append(EventRecord(project: record.project, container: record.id, name: record.name,
                                          service: record.service, action: action, attributes: attributes))
    }

    func save(_ record: StoredContainer) throws(EngineError) {
        try stateCall("container \(record.name)") { () throws(StateError) in try store.save(record) }
    }

    /// The runtime's state of `id`, nil when the runtime has no such container.
    func runtimeState(_ id: String, object: String) throws(EngineError) -> RuntimeSpecState? {
        do { return try runtime.state(id) } catch {
            if error.code == .notFound { return nil }
            throw Self.engineError(error, object: object)
        }
    }

    /// The file beside a container's `config.json` that lists the mounts `volumes_from` shares.
    static let sharedMountsFile = "shared-mounts.json"

    /// The mounts container `reference` (an id, or a name for `container:NAME`) shares with a
    /// `volumes_from` of it, as recorded when it was created.
    func sharedMounts(of reference: String, for object: String) throws(EngineError) -> [RuntimeSpec.Mount] {
        var found = try stateCall(object) { () throws(StateError) in try store.container(id: reference) }
        if found == nil { found = try containerNamed(reference) }
        guard let source = found else {
            throw EngineError(.notFound, object: object, "volumes_from: no container \(reference): create it first")
        }
        let path = locations.layer(source.id) + "/" + Self.sharedMountsFile
        guard Files.exists(path) else {
            throw EngineError(.invalidState, object: object,
                              "volumes_from: container \(source.name) was created before Berth recorded what it shares: recreate it (up --force-recreate \(source.service))")
        }
        do {
            return try JSONDecoder().decode([RuntimeSpec.Mount].self, from: Data(try Files.readBytes(path, stage: "volumes_from")))
        } catch {
            throw EngineError(.failed, object: object, "volumes_from: reading \(path): \(error)")
        }
    }

    private func pid(of container: String, for object: String) throws(EngineError) -> Int32 {
        guard let state = try runtimeState(container, object: object), let pid = state.pid, state.status != .stopped else {
            throw EngineError(.invalidState, object: object, "container \(container) whose namespace it joins is not running: start it first")
        }
        return pid
    }

    func runtimeCall<T>(_ object: String, _ body: () throws(RuntimeError) -> T) throws(EngineError) -> T {
        do { return try body() } catch { throw Self.engineError(error, object: object) }
    }

    func stateCall<T>(_ object: String, _ body: () throws(StateError) -> T) throws(EngineError) -> T {
        do { return try body() } catch {
            throw EngineError(.failed, object: object, "state database: \(error.message)")
        }
    }

    static func engineError(_ error: RuntimeError, object: String) -> EngineError {
        let code: EngineError.Code = switch error.code {
        case .notFound: .notFound
        case .alreadyExists: .conflict
        case .invalidState: .invalidState
        case .invalidConfig, .invalidBundle, .unknownCapability, .unknownSignal: .unsupported
        default: .failed
        }
        return EngineError(code, object: object, error.message)
    }

    static func isEngineID(_ id: String) -> Bool {
        id.utf8.count == 64 && id.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    /// 64 hex digits, as docker's container IDs.
    static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<4).map { _ in
            let hex = String(generator.next() as UInt64, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }
}
