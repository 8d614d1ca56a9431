import Foundation

/// Where a `LocalEngine` keeps things. Data that must survive a reboot (images, volumes,
/// container upper dirs, the state database) lives under `data`; live state that describes
/// processes (bundles, the runtime's state root) under `runtime`, which is a tmpfs on most systems
/// and empties itself at boot just as the processes do.
public struct EngineLocations: Sendable, Hashable, Codable {
    /// `/var/lib/berth` as root, `$XDG_DATA_HOME/berth` (default `~/.local/share/berth`) otherwise.
    public var data: String
    /// `/run/berth` as root, `$XDG_RUNTIME_DIR/berth` (default `/tmp/berth-<uid>`) otherwise.
    public var runtime: String

    public init(data: String, runtime: String) {
        self.data = data
        self.runtime = runtime
    }

    /// The locations for this process: rootful or rootless defaults, with `BERTH_DATA_DIR`
    /// honoured as the Images `DataDirectory` honours it, so `berth image` and the engine share
    /// one store.
    public static func current(environment: [String: String] = ProcessInfo.processInfo.environment,
                               isRoot: Bool = geteuid() == 0) -> EngineLocations
    {
        let runtime: String
        if isRoot {
            runtime = "/run/berth"
        } else if let xdg = environment["XDG_RUNTIME_DIR"], xdg.hasPrefix("/") {
            runtime = xdg + "/berth"
        } else {
            // Same fallback as ContainerRuntime.defaultStateRoot(), so both find the same containers.
            runtime = "/tmp/berth-\(geteuid())"
        }
        let data: String
        if let explicit = environment["BERTH_DATA_DIR"], !explicit.isEmpty {
            data = explicit
        } else if isRoot {
            data = "/var/lib/berth"
        } else if let xdg = environment["XDG_DATA_HOME"], xdg.hasPrefix("/") {
            data = xdg + "/berth"
        } else {
            data = (environment["HOME"] ?? NSHomeDirectory()) + "/.local/share/berth"
        }
        return EngineLocations(data: data, runtime: runtime)
    }

    /// The OCI bundle of a container: `config.json` and the empty `rootfs` the overlay is mounted on.
    func bundle(_ id: String) -> String { runtime + "/containers/" + id }
    /// The runtime's state root (one directory per live container).
    var runtimeState: String { runtime + "/runtime" }
    /// A container's writable layer: `upper` and `work` of its overlay. Kept with the data, not in
    /// the bundle, because what a container writes survives a reboot under docker too.
    func layer(_ id: String) -> String { data + "/containers/" + id }
    /// A container's json-file log (docker's `<id>-json.log` name); rotated files add `.1`, `.2`, ….
    public func log(_ id: String) -> String { layer(id) + "/" + id + "-json.log" }
    func volume(_ name: String) -> String { data + "/volumes/" + name + "/_data" }
    var database: String { data + "/state.db" }
}
