#if canImport(Glibc)
import Glibc
#endif
import EngineAPI
import OCISpec
import Runtime

/// Turns a `ContainerSpec` into the `config.json` of its bundle: the runtime's secure default
/// spec (capabilities, seccomp, masked paths, no_new_privs) with the service's process, mounts,
/// hostname and namespaces on top, and an overlay root of the image's layers.
struct BundleBuilder {
    var spec: ContainerSpec
    var id: String
    var process: ProcessSettings
    /// The image's layer directories, base first.
    var layers: [String]
    var upperDir: String
    var workDir: String
    var rootless: Bool
    var uidMappings: [RuntimeSpec.IDMapping]
    var gidMappings: [RuntimeSpec.IDMapping]
    /// The host directory of a named volume (created on first use) or of this container's
    /// anonymous volume number `index`.
    var volumePath: (ContainerSpec.Mount, _ index: Int) throws(EngineError) -> String
    /// The PID of another container, for `container:` namespace modes.
    var containerPID: (String) throws(EngineError) -> Int32
    /// The host file of a secret or config mount number `index`, written for this container
    /// (`FileMounts`).
    var fileSource: (ContainerSpec.Mount, _ index: Int) throws(EngineError) -> String = { mount, _ throws(EngineError) in
        throw EngineError(.unsupported, object: mount.target, "secrets and configs need the container's directory")
    }
    /// The mounts another container shares through `volumes_from` (its `sharedMounts`, as
    /// recorded when it was created).
    var sharedMountsOf: (String) throws(EngineError) -> [RuntimeSpec.Mount] = { id throws(EngineError) in
        throw EngineError(.notFound, object: "container \(id)", "no such container for volumes_from")
    }
    /// The capabilities a privileged container gets: rootful, those this process holds (it runs
    /// without a user namespace); rootless every one, inside the container's user namespace.
    var privilegedCapabilities: [String] = Capabilities.names
    /// The host's device nodes a privileged container gets (`HostDevices`).
    var hostDevices: () -> [String] = { HostDevices.list(rootless: false) }

    func make() throws(EngineError) -> RuntimeSpec { try build().spec }

    /// The spec, and the mounts that `volumes_from` of another container shares: binds, named
    /// and anonymous volumes (its own and those it took through `volumes_from` itself), but not
    /// tmpfs, secrets, configs or the runtime's own mounts.
    func build() throws(EngineError) -> (spec: RuntimeSpec, sharedMounts: [RuntimeSpec.Mount]) {
        var oci = DefaultSpec.make(rootless: rootless, uidMappings: uidMappings, gidMappings: gidMappings)
        var ociProcess = oci.process ?? RuntimeSpec.Process()
        ociProcess.args = process.args
        ociProcess.env = process.env
        ociProcess.cwd = process.workingDir
        ociProcess.user = try process.ociUser(container: spec.name)
        // `tty`: the container gets a pty of its own devpts; its monitor reads the master into the log.
        ociProcess.terminal = spec.tty ? true : nil
        oci.process = ociProcess
        oci.root = RuntimeSpec.Root(path: "rootfs", readonly: spec.security.readOnlyRootfs)
        oci.hostname = spec.hostname ?? String(id.prefix(12))
        var annotations = spec.labels
        if spec.initProcess { annotations[ContainerRuntime.initAnnotation] = "true" }
        annotations.merge(try LogSettings(spec.logging, container: spec.name).annotations) { _, berth in berth }
        oci.annotations = annotations.isEmpty ? nil : annotations

        // Overlay wants the top layer first.
        let overlay = RuntimeSpec.Mount(destination: "/", type: "overlay", source: "overlay",
                                        options: ["lowerdir=" + layers.reversed().joined(separator: ":"),
                                                  "upperdir=" + upperDir, "workdir=" + workDir])
        let service = try serviceMounts()
        oci.mounts = [overlay] + (oci.mounts ?? []) + service.map(\.mount)
        try applyResources(&oci)
        try applySecurity(&oci)
        try applyKernelSettings(&oci)
        // `ports` are issue 5's (Networking); `stdin_open` matters once attach exists.
        let namespaces = try namespaces(oci.linux?.namespaces ?? [])
        oci.linux?.namespaces = namespaces
        if !namespaces.contains(where: { $0.type == "user" && $0.path == nil }) {
            oci.linux?.uidMappings = nil
            oci.linux?.gidMappings = nil
        }
        if !namespaces.contains(where: { $0.type == "uts" && $0.path == nil }) {
            // Without a UTS namespace of its own, setting a hostname would rename the host (or
            // the other container).
            if spec.hostname != nil {
                throw EngineError(.invalidState, object: object, "hostname needs the container's own uts namespace")
            }
            oci.hostname = nil
        }
        return (oci, service.filter(\.shared).map(\.mount))
    }

    /// `volumes_from` first, then the service's own mounts, which win at the same target (as
    /// docker's binds win over the volumes they would hide). `shared`: what a `volumes_from` of
    /// this container gets.
    func serviceMounts() throws(EngineError) -> [(mount: RuntimeSpec.Mount, shared: Bool)] {
        var result: [(mount: RuntimeSpec.Mount, shared: Bool)] = []
        let ownTargets = Set(spec.mounts.map(\.target))
        for source in spec.volumesFrom {
            for var mount in try sharedMountsOf(source.containerID) where !ownTargets.contains(mount.destination) {
                // `:ro` makes every mount read-only; otherwise each keeps its own mode.
                if source.readOnly {
                    mount.options = (mount.options ?? []).filter { $0 != "rw" && $0 != "ro" } + ["ro"]
                }
                result.removeAll { $0.mount.destination == mount.destination }
                result.append((mount, true))
            }
        }
        for (index, mount) in spec.mounts.enumerated() {
            let access = mount.readOnly ? "ro" : "rw"
            switch mount.kind {
            case .bind:
                guard let source = mount.source, source.hasPrefix("/") else {
                    throw EngineError(.invalidState, object: object, "bind mount on \(mount.target) needs an absolute host path")
                }
                var options = ["rbind", access]
                if let propagation = mount.propagation { options.append(propagation) }
                result.append((.init(destination: mount.target, type: "bind", source: source, options: options), true))
            case .volume, .anonymousVolume:
                var source = try volumePath(mount, index)
                if let subpath = mount.subpath, !subpath.isEmpty {
                    if subpath.hasPrefix("/") || subpath.split(separator: "/").contains("..") {
                        throw EngineError(.invalidState, object: object, "volume subpath \"\(subpath)\" must stay inside the volume")
                    }
                    source += "/" + subpath
                }
                result.append((.init(destination: mount.target, type: "bind", source: source, options: ["rbind", access]), true))
            case .tmpfs:
                var options = ["nosuid", "nodev", access]
                if let size = mount.size { options.append("size=\(size)") }
                if let mode = mount.mode { options.append("mode=" + String(mode, radix: 8)) }
                // Options as written (`tmpfs: /run:size=64m,noexec`) come last, so they win.
                options += mount.options
                result.append((.init(destination: mount.target, type: "tmpfs", source: "tmpfs", options: options), false))
            case .file:
                guard mount.target.hasPrefix("/") else {
                    throw EngineError(.invalidState, object: object, "the target of \(mount.name ?? "a secret or config"), \(mount.target), must be an absolute path")
                }
                let source = try fileSource(mount, index)
                result.append((.init(destination: mount.target, type: "bind", source: source,
                                     options: ["bind", "ro", "nosuid", "nodev", "noexec"]), false))
            }
        }
        return result
    }

    /// The default spec's namespaces with the service's modes applied. The network namespace is
    /// the container's own unless the service asks for the host's or another container's:
    /// networks (bridges, veths, DNS, ports) are issue 5, so for now a container has a network
    /// namespace with only its loopback interface, exactly as `network_mode: none`.
    func namespaces(_ defaults: [RuntimeSpec.Namespace]) throws(EngineError) -> [RuntimeSpec.Namespace] {
        let modes: [(String, ContainerSpec.NamespaceMode, String)] = [
            ("network", spec.namespaces.network, "net"), ("ipc", spec.namespaces.ipc, "ipc"),
            ("pid", spec.namespaces.pid, "pid"), ("uts", spec.namespaces.uts, "uts"),
        ]
        var result = defaults
        for (type, mode, procName) in modes {
            switch mode {
            case .private, .none:
                continue
            case .host:
                if rootless {
                    // A user namespace owns its other namespaces; the host's cannot be kept
                    // without privileges over them, except network (slirp-free host networking).
                    guard type == "network" else {
                        throw EngineError(.unsupported, object: object, "\(type): host cannot be used rootless")
                    }
                }
                result.removeAll { $0.type == type }
            case .container(let other):
                let pid = try containerPID(other)
                result.removeAll { $0.type == type }
                result.append(RuntimeSpec.Namespace(type: type, path: "/proc/\(pid)/ns/\(procName)"))
            }
        }
        // /proc and /dev/mqueue can be mounted only by a root of the user namespace that owns the
        // pid or ipc namespace: a container that joins another's joins its user namespace too
        // (the same maps), or none when that one is the host's.
        for mode in [spec.namespaces.pid, spec.namespaces.ipc] {
            guard case .container(let other) = mode else { continue }
            let path = "/proc/\(try containerPID(other))/ns/user"
            result.removeAll { $0.type == "user" }
            if !Self.isSameNamespace(path, "/proc/self/ns/user") {
                result.insert(RuntimeSpec.Namespace(type: "user", path: path), at: 0)
            }
            break
        }
        switch spec.namespaces.cgroup {
        case nil, "private"?: break
        case "host"?: result.removeAll { $0.type == "cgroup" }
        case let other?:
            throw EngineError(.invalidState, object: object, "cgroup: \"\(other)\" is not a cgroup mode (expected host or private)")
        }
        switch spec.namespaces.userns {
        case nil, ""?:
            // Rootful containers run in a user namespace that maps every ID to itself, which
            // makes their capabilities those of a child namespace. A privileged container gets
            // the host's root, as docker's does: none.
            if spec.security.privileged && !rootless { result.removeAll { $0.type == "user" && $0.path == nil } }
        case "host"?:
            guard !rootless else {
                throw EngineError(.unsupported, object: object,
                                  "userns_mode: host needs root: an unprivileged user's containers always run in a user namespace; remove the key")
            }
            result.removeAll { $0.type == "user" }
        case let other?:
            throw EngineError(.unsupported, object: object,
                              "userns_mode \"\(other)\" is not supported (supported: host, rootful only); remove the key to get \(rootless ? "this user's subordinate ID range" : "the identity mapping")")
        }
        return result
    }

    /// Whether two namespace files name the same namespace (same device and inode).
    static func isSameNamespace(_ a: String, _ b: String) -> Bool {
        var first = stat(), second = stat()
        guard stat(a, &first) == 0, stat(b, &second) == 0 else { return false }
        return first.st_dev == second.st_dev && first.st_ino == second.st_ino
    }
}
