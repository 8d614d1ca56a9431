#if canImport(Glibc)
import Glibc
#endif
import EngineAPI
import Networking
import StateStore
import Supervisor

/// What the project's supervisor serves for its networks: an embedded DNS server per network the
/// project made, and a forwarder per published port of its running containers. Computed from the
/// state store, so a supervisor that was restarted serves the same as the one before it.
extension LocalEngine {
    /// The DNS servers and forwarders `project` needs now.
    ///
    /// A network's server listens on its gateway, port 53 (what containers' resolv.conf names),
    /// and answers the names of every running container attached to it, of any project (external
    /// networks carry other projects' containers): container name, service, hostname, aliases;
    /// a scaled service with every replica. Only networks the project made get a server here: an
    /// external network's server belongs to the project that made it; and only networks with a
    /// running container on them.
    public func networkServicesDesired(project: String) throws(EngineError) -> NetworkServices.Desired {
        let object = "project \(project) network services"
        let (owned, everyone) = try stateCall(object) { () throws(StateError) -> ([NetworkRecord], [ContainerRecord]) in
            let owned = try store.networks(project: project).filter { !$0.isExternal }
            var everyone: [ContainerRecord] = []
            for other in try store.projects() { everyone += try store.containers(project: other.name) }
            return (owned, everyone)
        }
        let live = everyone.filter { $0.state == .running || $0.state == .paused }
        var desired = NetworkServices.Desired()
        for network in owned {
            guard let gatewayText = network.gateway, let gateway = IPAddress(gatewayText) else { continue }
            var entries: [String: [IPAddress]] = [:]
            var reverse: [IPAddress: String] = [:]
            for container in live {
                for attachment in container.networks where attachment.network == network.name {
                    let addresses = [attachment.ipv4Address, attachment.ipv6Address].compactMap { $0.flatMap(IPAddress.init) }
                    for name in Set([container.name] + attachment.aliases) {
                        entries[name, default: []] += addresses
                    }
                    for address in addresses { reverse[address] = container.name }
                }
            }
            // No live container, no client to answer, and maybe no bridge to bind on: after a
            // reboot a network's bridge is made again only by the launch of a container on it.
            guard !entries.isEmpty else { continue }
            desired.networks[network.name] = .init(listen: SocketAddress(gateway, 53), names: DNSNameTable(entries, reverse: reverse))
        }
        for container in live where container.project == project {
            // Published ports reach the container on its first network, as docker's proxy does.
            guard let attachment = container.networks.first, let address = IPAddress(attachment.ipv4Address) else { continue }
            for binding in container.portBindings where binding.proto == "tcp" || binding.proto == "udp" {
                guard let port = UInt16(exactly: binding.containerPort) else { continue }
                let publication = try network("container \(container.name) port \(binding.containerPort)") { () throws(NetworkingError) in
                    try NetworkServices.Desired.Publication(container: container.id, hostIP: binding.hostIP, hostPort: binding.hostPort,
                                                            proto: binding.proto, target: SocketAddress(address, port))
                }
                desired.ports.append(publication)
            }
        }
        return desired
    }

    /// Where the services make their sockets: in this process's namespace rootful (the bridges
    /// are the host's), inside the per-user network namespace rootless (through its holder).
    public func networkServicesConfiguration() -> NetworkServices.Configuration {
        guard rootless else { return NetworkServices.Configuration() }
        // A stock of sockets made ahead: a forwarder asks for one per accepted connection.
        let stock = NamespaceSocketStock { () throws(NetworkingError) -> NamespaceHolder in
            guard let holder = try? self.rootlessNetworkNamespace() else {
                throw NetworkingError(.system, object: "rootless network namespace", "no holder runs: no network was created", errno: ENOENT)
            }
            return holder
        }
        return NetworkServices.Configuration(socketsFrom: { (domain, type) throws(NetworkingError) -> Int32 in
            try stock.socket(domain: domain, type: type)
        })
    }

    /// Records the host ports the forwarders bound, per container, and clears them from the
    /// project's containers that publish nothing now.
    public func recordPublishedPorts(project: String, _ published: [NetworkServices.Published]) throws(EngineError) {
        let byContainer = Dictionary(grouping: published, by: \.container)
        try stateCall("project \(project) published ports") { () throws(StateError) in
            for container in try store.containers(project: project) {
                let ports = (byContainer[container.id] ?? []).map {
                    PublishedPortRecord(hostIP: $0.host.ip.description, hostPort: Int($0.host.port),
                                        containerPort: Int($0.containerPort), proto: $0.proto.rawValue)
                }
                if ports != container.publishedPorts { try store.recordPublishedPorts(id: container.id, ports) }
            }
        }
    }
}

/// The project's DNS servers and port forwarders as the supervisor hosts them: each reload brings
/// them to what the state store says (`networkServicesDesired`) and records the ports bound.
public struct NetworkServicesComponent: SupervisedComponent {
    public let name = "network services"
    let engine: LocalEngine
    let project: String
    let services: NetworkServices

    public init(engine: LocalEngine, project: String) {
        self.engine = engine
        self.project = project
        services = NetworkServices(configuration: engine.networkServicesConfiguration())
    }

    public func reload() async throws {
        let desired = try engine.networkServicesDesired(project: project)
        let published: [NetworkServices.Published]
        do { published = try services.apply(desired) } catch {
            throw EngineError(.conflict, object: "project \(project)", error.description)
        }
        try engine.recordPublishedPorts(project: project, published)
    }

    public func shutdown() async { services.shutdown() }
}
