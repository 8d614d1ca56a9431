/// What the reconciler needs from a container engine. Every method acts on one object and is
/// idempotent where that is cheap (removing something absent is not an error), so an executor
/// that was interrupted can simply run again. Errors are `EngineError`s naming the object.
public protocol ContainerEngine: Sendable {
    /// Containers, networks and volumes labelled with `project`'s name.
    func observe(project: String) async throws -> ObservedState

    /// Makes `reference` present locally (pulling or importing per `policy`) and returns its image id.
    func ensureImage(_ reference: String, policy: ImagePullPolicy) async throws -> String
    /// Removes an image by reference; absent is not an error.
    func removeImage(_ reference: String) async throws

    func createNetwork(_ spec: NetworkSpec) async throws
    func removeNetwork(name: String) async throws
    func createVolume(_ spec: VolumeSpec) async throws
    func removeVolume(name: String) async throws

    /// Creates (does not start) a container; returns its id.
    func createContainer(_ spec: ContainerSpec) async throws -> String
    /// Renames a container; a recreate creates the replacement under a temporary name first so
    /// the old one keeps running until the new one exists.
    func renameContainer(id: String, to name: String) async throws
    func startContainer(id: String) async throws
    /// Sends `signal`, waits up to `gracePeriod` seconds, then kills. Stopping a stopped container
    /// is not an error.
    func stopContainer(id: String, signal: String, gracePeriod: Double) async throws
    func killContainer(id: String, signal: String) async throws
    /// Removes a stopped container (with `force`, a running one too) and, with `removeAnonymousVolumes`,
    /// the anonymous volumes it owns.
    func removeContainer(id: String, force: Bool, removeAnonymousVolumes: Bool) async throws
    func pauseContainer(id: String) async throws
    func unpauseContainer(id: String) async throws
    /// Returns once container `id` meets `condition`; throws, naming the container and what it
    /// did instead, when it cannot any more (it exited, it is unhealthy) or `timeout` seconds
    /// (nil: no limit) pass first.
    func waitFor(_ condition: ContainerCondition, container id: String, timeout: Double?) async throws
}

/// compose's `pull_policy` and `up --pull`.
public enum ImagePullPolicy: String, Sendable, Hashable, Codable, CaseIterable {
    /// Pull only when the image is absent (compose's default).
    case missing
    case always
    /// Fail when the image is absent.
    case never
}
