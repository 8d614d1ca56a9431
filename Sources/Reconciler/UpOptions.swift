/// The flags of `up` that change what is planned, as docker compose names them.
public struct UpOptions: Sendable, Hashable, Codable {
    /// `--force-recreate`: recreate the requested services even if unchanged.
    public var forceRecreate = false
    /// `--no-recreate`: never recreate an existing container.
    public var noRecreate = false
    /// `--always-recreate-deps`: recreate the dependencies of the requested services too.
    public var alwaysRecreateDeps = false
    /// `--no-deps`: act on the named services only, not on what they depend on.
    public var noDeps = false
    /// Service names given on the command line; empty means all.
    public var services: [String] = []
    /// `--scale SERVICE=N`.
    public var scale: [String: Int] = [:]
    /// `--no-start`: create, do not start.
    public var noStart = false
    /// `--renew-anon-volumes`: recreated containers get new anonymous volumes.
    public var renewAnonVolumes = false
    /// `--remove-orphans`: remove containers of services no longer in the files.
    public var removeOrphans = false
    /// `-t`: seconds to wait for a container to stop before killing it; nil uses the service's.
    public var timeout: Double?
    /// At boot (`berth supervise` as a systemd unit's main process), as docker's daemon does when
    /// it starts: an `unless-stopped` container the user stopped stays stopped.
    public var keepUserStops = false

    public init() {}
}
