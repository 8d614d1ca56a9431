// The state of a container as the OCI runtime specification's runtime.md defines it: what
// `berth runtime state` prints.

/// The OCI state of one container.
public struct RuntimeSpecState: Sendable, Hashable, Codable {
    /// Lifecycle status, with the spec's spelling; `paused` is the runc/crun extension.
    public enum Status: String, Sendable, Hashable, Codable {
        case creating, created, running, stopped, paused
    }

    public var ociVersion: String
    public var id: String
    public var status: Status
    /// The container process's PID on the host; absent once stopped.
    public var pid: Int32?
    public var bundle: String
    public var annotations: [String: String]?

    public init(ociVersion: String = RuntimeSpec.version, id: String, status: Status, pid: Int32?, bundle: String,
                annotations: [String: String]? = nil) {
        self.ociVersion = ociVersion
        self.id = id
        self.status = status
        self.pid = pid
        self.bundle = bundle
        self.annotations = annotations
    }
}
