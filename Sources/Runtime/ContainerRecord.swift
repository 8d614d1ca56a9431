import OCISpec

/// What Berth keeps about one container in `<root>/<id>/state.json`: the OCI state's facts plus
/// what is needed to recognise the processes later (start times guard against PID reuse).
public struct ContainerRecord: Sendable, Hashable, Codable {
    public var id: String
    public var bundle: String
    /// The root filesystem, symlinks resolved.
    public var rootfs: String
    public var pid: Int32
    /// Start time of `pid` in clock ticks since boot (/proc/PID/stat field 22).
    public var pidStartTime: UInt64
    /// PID of the berth-init monitor that waits for the container and records its exit.
    public var monitorPid: Int32
    public var created: String
    /// The container's cgroup, when Berth manages one.
    public var cgroup: CgroupLocation?
    public var annotations: [String: String]?
}

/// How the container ended, as the monitor recorded it in `<root>/<id>/exit.json`.
public struct ExitRecord: Sendable, Hashable, Codable {
    public var exitCode: Int32
    public var signal: Int32?
}
