import ComposeSpec
import Crypto
import EngineAPI
import YAML

/// What the compose files ask for, in the form the planner compares with an `ObservedState`.
/// Not `Codable`: `Service` decodes only from compose YAML (it needs source marks).
public struct DesiredState: Sendable, Hashable {
    /// One service with what its containers are compared by.
    public struct DesiredService: Sendable, Hashable {
        public var service: Service
        /// `com.docker.compose.config-hash` its containers carry.
        public var configHash: String
        /// The image it runs, as written, or the name compose gives a built image.
        public var imageReference: String
        /// The image id, once `PlanExecutor.ensureImages` (or the caller) resolved it; nil means
        /// "not known yet", and an image change cannot be detected until it is.
        public var imageID: String?
        /// `secrets content` and `configs content` → the SHA-256 of each mounted secret's and
        /// config's bytes by name (`FileObjectContent`), recorded beside the service's keys so a
        /// plan names a changed content; empty for a service that mounts none.
        public var fileContentDigests: [String: String] = [:]

        public var name: String { service.name }
        /// `restart`, else `deploy.restart_policy.condition` in `restart`'s words, else `no`.
        public var restartPolicy: String { ContainerSpecBuilder.restartPolicy(of: service) }

        /// Compose key → canonical JSON (`RecordedConfig`). Computed on demand: an unchanged
        /// stack needs only the hashes, and encoding every service twice would double the cost
        /// of `up` on it.
        public func recordedConfig() throws -> [String: String] {
            try RecordedConfig.of(service).merging(fileContentDigests) { _, digests in digests }
        }
    }

    public var project: Project
    public var services: [String: DesiredService]
    public var graph: DependencyGraph

    /// Builds the desired state of `project`; `imageIDs` are ids already resolved, by service name.
    /// `readFile` reads the `file` of a secret or config (nil when it cannot), whose content is
    /// part of the config hash of the services that mount it.
    public init(project: Project, imageIDs: [String: String] = [:],
                readFile: (String) -> [UInt8]? = FileObjectContent.readFile) throws(ReconcilerError) {
        self.project = project
        do {
            graph = try DependencyGraph(project: project)
        } catch {
            throw ReconcilerError(.invalidProject, object: "project \(project.name)", error.description)
        }
        var services: [String: DesiredService] = [:]
        for (name, service) in project.services {
            do {
                var desired = DesiredService(service: service, configHash: try ConfigHash.hash(of: service),
                                             imageReference: project.imageName(of: service),
                                             imageID: imageIDs[name])
                let digests = FileObjectContent.digests(of: service, in: project, readFile: readFile)
                if !digests.isEmpty {
                    // A service without secrets or configs keeps the hash compose gives it.
                    desired.fileContentDigests = digests
                    desired.configHash = FileObjectContent.sha256(
                        desired.configHash + digests.sorted { $0.key < $1.key }.map { "\n\($0.key) \($0.value)" }.joined())
                }
                services[name] = desired
            } catch {
                throw ReconcilerError(.invalidProject, service: name, object: "service \(name)",
                                      "cannot encode its configuration: \(error)")
            }
        }
        self.services = services
    }

    public var projectName: String { project.name }

    /// Services whose containers are not orphans: the active ones and those a profile disabled.
    public var knownServiceNames: Set<String> {
        Set(project.services.keys).union(project.disabledServices.keys)
    }

    /// The engine-wide name of network `key`: its `name:`, else `<project>_<key>`.
    public func networkName(_ key: String) -> String {
        project.networks[key]?.name ?? "\(project.name)_\(key)"
    }

    /// The engine-wide name of volume `key`: its `name:`, else `<project>_<key>`.
    public func volumeName(_ key: String) -> String {
        project.volumes[key]?.name ?? "\(project.name)_\(key)"
    }

    /// Networks a service attaches to, by key: its `networks`, else `default` unless `network_mode`
    /// says otherwise.
    public func networkKeys(of service: Service) -> [String] {
        if let networks = service.networks { return networks.keys.sorted() }
        if let mode = service.networkMode, mode != "bridge" { return [] }
        return ["default"]
    }

    /// Named volumes a service mounts, by key.
    public func volumeKeys(of service: Service) -> [String] {
        (service.volumes ?? []).compactMap { volume in
            guard volume.type == .volume, let source = volume.source, project.volumes[source] != nil else { return nil }
            return source
        }
    }

    /// The labels every resource of the project carries.
    public var projectLabels: [String: String] {
        [ResourceLabels.project: project.name, ResourceLabels.version: ResourceLabels.compatibleComposeVersion]
    }

    public func networkSpec(_ key: String) -> NetworkSpec {
        let definition = project.networks[key]
        var labels = definition?.labels ?? [:]
        labels.merge(projectLabels) { _, new in new }
        labels[ResourceLabels.network] = key
        if let hash = Self.hash(of: definition ?? NetworkDefinition()) { labels[ResourceLabels.configHash] = hash }
        var spec = NetworkSpec(name: networkName(key), labels: labels)
        spec.driver = definition?.driver
        spec.driverOptions = definition?.driverOpts ?? [:]
        spec.isInternal = definition?.internalOnly ?? false
        spec.enableIPv6 = definition?.enableIPv6 ?? false
        spec.subnets = (definition?.ipam?.config ?? []).compactMap { pool in
            pool.subnet.map { NetworkSpec.Subnet(subnet: $0, gateway: pool.gateway, ipRange: pool.ipRange) }
        }
        return spec
    }

    /// SHA-256 of a network's canonical JSON, as its `com.docker.compose.config-hash` label, so a
    /// later plan sees that the file now says something else of it. Nil if it cannot be encoded
    /// (it always can: the definition came from the same encoder's model).
    static func hash(of network: NetworkDefinition) -> String? {
        guard let node = try? YAMLNodeEncoder().encode(network) else { return nil }
        let json = JSONEmitter.emit(node, pretty: false)
        return SHA256.hash(data: Array(json.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    public func volumeSpec(_ key: String) -> VolumeSpec {
        let definition = project.volumes[key]
        var labels = definition?.labels ?? [:]
        labels.merge(projectLabels) { _, new in new }
        labels[ResourceLabels.volume] = key
        var spec = VolumeSpec(name: volumeName(key), labels: labels)
        spec.driver = definition?.driver
        spec.driverOptions = definition?.driverOpts ?? [:]
        return spec
    }
}
