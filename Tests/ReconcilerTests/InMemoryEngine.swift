import EngineAPI

/// A `ContainerEngine` that holds its state in memory and records every call, so executor tests
/// can check what was done, in which order, and that planning again after applying is empty.
actor InMemoryEngine: ContainerEngine {
    struct Container {
        var spec: ContainerSpec
        var id: String
        var state: ObservedContainer.State
        var created: Double
    }

    private(set) var containers: [String: Container] = [:]
    private(set) var networks: [String: NetworkSpec] = [:]
    private(set) var volumes: [String: VolumeSpec] = [:]
    /// Reference → image id; `ensureImage` of anything else fails.
    var images: [String: String]
    /// Calls in the order they were made: `create demo-web-1`, `start demo-web-1`, …
    private(set) var calls: [String] = []
    /// Container and network names whose creation fails.
    var failingCreates: Set<String> = []
    /// Container names whose `waitFor` fails (an unhealthy dependency).
    var failingWaits: Set<String> = []
    /// Delay of every container operation, to make parallelism observable.
    var delay: Duration = .zero
    private(set) var inFlight = 0
    private(set) var maxInFlight = 0
    private var nextID = 0
    private var clock = 0.0

    init(images: [String: String]) { self.images = images }

    func failCreate(of name: String) { failingCreates.insert(name) }
    func failWait(of name: String) { failingWaits.insert(name) }
    /// Renames without recording a call: a state left by something other than the executor.
    func renameForTest(_ id: String, to name: String) { containers[id]?.spec.name = name }
    func setImage(_ reference: String, id: String) { images[reference] = id }
    func setDelay(_ delay: Duration) { self.delay = delay }
    func setState(of name: String, _ state: ObservedContainer.State) {
        guard let id = containers.first(where: { $0.value.spec.name == name })?.key else { return }
        containers[id]?.state = state
    }

    func observe(project: String) async throws -> ObservedState {
        calls.append("observe \(project)")
        let mine = containers.values.filter { $0.spec.labels[ResourceLabels.project] == project }
        return ObservedState(
            project: project,
            containers: mine.sorted { $0.id < $1.id }.map {
                ObservedContainer(id: $0.id, name: $0.spec.name, labels: $0.spec.labels, imageID: $0.spec.imageID,
                                  imageReference: $0.spec.image, state: $0.state, exitCode: $0.state == .exited ? 0 : nil,
                                  created: $0.created, recordedConfig: $0.spec.recordedConfig)
            },
            networks: networks.values.filter { $0.labels[ResourceLabels.project] == project }.sorted { $0.name < $1.name }
                .map { ObservedNetwork(id: "net-" + $0.name, name: $0.name, labels: $0.labels) },
            volumes: volumes.values.filter { $0.labels[ResourceLabels.project] == project }.sorted { $0.name < $1.name }
                .map { ObservedVolume(name: $0.name, labels: $0.labels) })
    }

    func ensureImage(_ reference: String, policy: ImagePullPolicy) async throws -> String {
        calls.append("image \(reference)")
        guard let id = images[reference] else {
            throw EngineError(.imageUnavailable, object: "image \(reference)", "not found in the test registry")
        }
        return id
    }

    func removeImage(_ reference: String) async throws {
        calls.append("rmi \(reference)")
        images[reference] = nil
    }

    func createNetwork(_ spec: NetworkSpec) async throws {
        calls.append("create network \(spec.name)")
        if failingCreates.contains(spec.name) {
            throw EngineError(.failed, object: "network \(spec.name)", "injected failure")
        }
        networks[spec.name] = spec
    }

    func removeNetwork(name: String) async throws {
        calls.append("remove network \(name)")
        networks[name] = nil
    }

    func createVolume(_ spec: VolumeSpec) async throws {
        calls.append("create volume \(spec.name)")
        volumes[spec.name] = spec
    }

    func removeVolume(name: String) async throws {
        calls.append("remove volume \(name)")
        volumes[name] = nil
    }

    func createContainer(_ spec: ContainerSpec) async throws -> String {
        try await operation("create \(spec.name)")
        if failingCreates.contains(spec.name) || failingCreates.contains(where: { spec.name.hasSuffix("_" + $0) }) {
            throw EngineError(.failed, object: "container \(spec.name)", "injected failure")
        }
        guard !containers.values.contains(where: { $0.spec.name == spec.name }) else {
            throw EngineError(.conflict, object: "container \(spec.name)", "name in use")
        }
        for network in spec.networks where networks[network.network] == nil {
            throw EngineError(.notFound, object: "network \(network.network)", "no such network")
        }
        nextID += 1
        clock += 1
        let id = "c\(nextID)"
        containers[id] = Container(spec: spec, id: id, state: .created, created: clock)
        return id
    }

    func renameContainer(id: String, to name: String) async throws {
        calls.append("rename \(containers[id]?.spec.name ?? id) \(name)")
        containers[id]?.spec.name = name
    }

    func startContainer(id: String) async throws {
        try await operation("start \(try name(of: id))")
        containers[id]?.state = .running
    }

    func stopContainer(id: String, signal: String, gracePeriod: Double) async throws {
        try await operation("stop \(try name(of: id)) \(signal) \(gracePeriod)")
        containers[id]?.state = .exited
    }

    func killContainer(id: String, signal: String) async throws {
        try await operation("kill \(try name(of: id)) \(signal)")
        containers[id]?.state = .exited
    }

    func removeContainer(id: String, force: Bool, removeAnonymousVolumes: Bool) async throws {
        try await operation("remove \(try name(of: id))")
        guard force || containers[id]?.state != .running else {
            throw EngineError(.invalidState, object: "container \(id)", "running; stop it first")
        }
        containers[id] = nil
    }

    func pauseContainer(id: String) async throws {
        try await operation("pause \(try name(of: id))")
        containers[id]?.state = .paused
    }

    func unpauseContainer(id: String) async throws {
        try await operation("unpause \(try name(of: id))")
        containers[id]?.state = .running
    }

    func waitFor(_ condition: ContainerCondition, container id: String, timeout: Double?) async throws {
        try await operation("wait \(try name(of: id)) \(condition.rawValue)")
        if failingWaits.contains(try name(of: id)) {
            throw EngineError(.failed, object: "container \(try name(of: id))", "is unhealthy")
        }
    }

    private func name(of id: String) throws -> String {
        guard let container = containers[id] else { throw EngineError(.notFound, object: "container \(id)", "no such container") }
        return container.spec.name
    }

    /// Records the call and, with a delay set, holds the operation open so overlapping ones show.
    private func operation(_ call: String) async throws {
        calls.append(call)
        guard delay > .zero else { return }
        inFlight += 1
        maxInFlight = max(maxInFlight, inFlight)
        try await Task.sleep(for: delay)
        inFlight -= 1
    }

    var containerNames: [String] { containers.values.map(\.spec.name).sorted() }
    func id(of name: String) -> String? { containers.values.first { $0.spec.name == name }?.id }
}
