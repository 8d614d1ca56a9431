#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import SystemSupport

/// A project's DNS servers and published-port forwarders, reconciled to a description.
///
/// `apply(_:)` starts what is new, stops what is gone, swaps DNS tables and forwarder targets in
/// place, and leaves the rest alone: an unchanged description does nothing, and a recreated
/// container keeps its published port (new connections go to its new address). Every listener is
/// bound before `apply` returns. Calls are serialized.
public final class NetworkServices: Sendable {
    /// What should run.
    public struct Desired: Sendable, Hashable, Codable {
        /// Network name → its DNS server.
        public var networks: [String: Network]
        /// Published ports, each naming the container it belongs to.
        public var ports: [Publication]

        public init(networks: [String: Network] = [:], ports: [Publication] = []) {
            self.networks = networks
            self.ports = ports
        }

        public struct Network: Sendable, Hashable, Codable {
            /// Where the network's DNS server answers: its gateway address, port 53.
            public var listen: SocketAddress
            public var names: DNSNameTable

            public init(listen: SocketAddress, names: DNSNameTable) {
                self.listen = listen
                self.names = names
            }
        }

        public struct Publication: Sendable, Hashable, Codable {
            /// The container (id or name) the port belongs to; reported back with the bound port.
            public var container: String
            public var proto: PortForwarder.Proto
            /// The host address to listen on (`0.0.0.0` when compose names none).
            public var hostIP: IPAddress
            /// Host ports to try in order, the first free one wins; empty: any free port.
            public var hostPorts: [UInt16]
            /// The container's address and port.
            public var target: SocketAddress

            public init(container: String, proto: PortForwarder.Proto, hostIP: IPAddress = .anyIPv4,
                        hostPorts: [UInt16], target: SocketAddress) {
                self.container = container
                self.proto = proto
                self.hostIP = hostIP
                self.hostPorts = hostPorts
                self.target = target
            }
        }
    }

    /// A port as published: what `berth port` prints.
    public struct Published: Sendable, Hashable, Codable {
        public var container: String
        public var proto: PortForwarder.Proto
        public var containerPort: UInt16
        public var host: SocketAddress

        public init(container: String, proto: PortForwarder.Proto, containerPort: UInt16, host: SocketAddress) {
            self.container = container
            self.proto = proto
            self.containerPort = containerPort
            self.host = host
        }
    }

    /// How servers bind and forwarders connect; the defaults act in the caller's namespace.
    public struct Configuration: Sendable {
        /// A network's DNS server sockets at that address (rootless: made inside the network
        /// namespace).
        public var bindDNS: @Sendable (SocketAddress) throws(NetworkingError) -> DNSServer.Listeners
        public var connector: PortForwarder.Connector
        public var dns: DNSServer.Options
        public var forwarding: PortForwarder.Options

        public init(bindDNS: (@Sendable (SocketAddress) throws(NetworkingError) -> DNSServer.Listeners)? = nil,
                    connector: @escaping PortForwarder.Connector = PortForwarder.directConnector,
                    dns: DNSServer.Options = DNSServer.Options(), forwarding: PortForwarder.Options = PortForwarder.Options()) {
            if let bindDNS {
                self.bindDNS = bindDNS
            } else {
                self.bindDNS = { (address) throws(NetworkingError) -> DNSServer.Listeners in try DNSServer.bind(address) }
            }
            self.connector = connector
            self.dns = dns
            self.forwarding = forwarding
        }
    }

    private struct Running {
        var dns: [String: (listen: SocketAddress, server: DNSServer)] = [:]
        var forwarders: [ListenerKey: (publication: Desired.Publication, forwarder: PortForwarder)] = [:]
    }

    /// What identifies a listener across applies: a fixed host port is the port itself (so a
    /// recreated container takes it over); a random one belongs to its container and port.
    private struct ListenerKey: Hashable {
        var proto: PortForwarder.Proto
        var hostIP: IPAddress
        var hostPorts: [UInt16]
        var owner: String?
        var containerPort: UInt16?

        init(_ publication: Desired.Publication) {
            proto = publication.proto
            hostIP = publication.hostIP
            hostPorts = publication.hostPorts
            let fixed = publication.hostPorts.count == 1
            owner = fixed ? nil : publication.container
            containerPort = fixed ? nil : publication.target.port
        }
    }

    private let configuration: Configuration
    private let running = Mutex(Running())

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    deinit { shutdown() }

    /// Brings the running servers to `desired` and returns every published port with the host
    /// port it got. On failure, what this call started is stopped again and the error names the
    /// port or address; what ran before is kept except what `desired` removed.
    @discardableResult
    public func apply(_ desired: Desired) throws(NetworkingError) -> [Published] {
        try running.withLock { (running) throws(NetworkingError) -> [Published] in
            var wanted: [ListenerKey: Desired.Publication] = [:]
            for publication in desired.ports {
                let key = ListenerKey(publication)
                if let other = wanted[key] {
                    let port = publication.hostPorts.first.map(String.init) ?? "0"
                    throw NetworkingError(.conflict, object: "\(publication.hostIP):\(port)/\(publication.proto.rawValue)",
                                          "published by both \(other.container) and \(publication.container): give one of them another host port")
                }
                wanted[key] = publication
            }
            // Stop first what goes away, so a port a removed publication held is free for a new one.
            for (name, entry) in running.dns where desired.networks[name]?.listen != entry.listen {
                entry.server.shutdown()
                running.dns[name] = nil
            }
            for (key, entry) in running.forwarders where wanted[key] == nil {
                entry.forwarder.shutdown()
                running.forwarders[key] = nil
            }

            var startedDNS: [String] = []
            var startedForwarders: [ListenerKey] = []
            do throws(NetworkingError) {
                for (name, network) in desired.networks.sorted(by: { $0.key < $1.key }) {
                    if let entry = running.dns[name] {
                        if entry.server.table != network.names { entry.server.update(network.names) }
                        continue
                    }
                    let listeners = try configuration.bindDNS(network.listen)
                    let server = try DNSServer(listeners: listeners, table: network.names, options: configuration.dns)
                    running.dns[name] = (network.listen, server)
                    startedDNS.append(name)
                }
                for (key, publication) in wanted.sorted(by: { $0.value.container < $1.value.container }) {
                    if let entry = running.forwarders[key] {
                        if entry.forwarder.target != publication.target { entry.forwarder.retarget(publication.target) }
                        running.forwarders[key] = (publication, entry.forwarder)
                        continue
                    }
                    running.forwarders[key] = (publication, try start(publication))
                    startedForwarders.append(key)
                }
            } catch {
                for name in startedDNS {
                    running.dns[name]?.server.shutdown()
                    running.dns[name] = nil
                }
                for key in startedForwarders {
                    running.forwarders[key]?.forwarder.shutdown()
                    running.forwarders[key] = nil
                }
                throw error
            }
            return running.forwarders.values.map {
                Published(container: $0.publication.container, proto: $0.publication.proto,
                          containerPort: $0.publication.target.port, host: $0.forwarder.address)
            }.sorted { ($0.container, $0.containerPort, $0.proto.rawValue) < ($1.container, $1.containerPort, $1.proto.rawValue) }
        }
    }

    /// Binds the first free port of the publication's list (any port when the list is empty).
    private func start(_ publication: Desired.Publication) throws(NetworkingError) -> PortForwarder {
        let candidates = publication.hostPorts.isEmpty ? [0] : publication.hostPorts
        var lastError: NetworkingError?
        for port in candidates {
            do throws(NetworkingError) {
                return try PortForwarder(proto: publication.proto, listen: SocketAddress(publication.hostIP, port),
                                         target: publication.target, connector: configuration.connector, options: configuration.forwarding)
            } catch {
                lastError = error
                // Only a taken port moves on to the next one of a range.
                guard error.code == .portInUse, candidates.count > 1 else { break }
            }
        }
        if candidates.count > 1, let error = lastError, error.code == .portInUse {
            let first = candidates[0], last = candidates[candidates.count - 1]
            throw NetworkingError(.portInUse, object: "\(publication.hostIP):\(first)-\(last)/\(publication.proto.rawValue)",
                                  "every port of \(first)-\(last) is in use: free one or publish another range", errno: error.errno)
        }
        throw lastError ?? NetworkingError(.invalidAddress, object: publication.container, "no host port to publish")
    }

    /// Stops every server and forwarder. Idempotent; `apply` may start them again later.
    public func shutdown() {
        let stopped = running.withLock { running -> Running in
            defer { running = Running() }
            return running
        }
        for entry in stopped.dns.values { entry.server.shutdown() }
        for entry in stopped.forwarders.values { entry.forwarder.shutdown() }
    }

    /// Each running DNS server's address (with the port it got when asked for port 0).
    public var dnsAddresses: [String: SocketAddress] {
        running.withLock { $0.dns.mapValues(\.server.address) }
    }

    /// Names of the networks with a DNS server running, and the published ports: for tests and `ps`.
    public var status: (networks: [String], published: [Published]) {
        running.withLock { running in
            (running.dns.keys.sorted(), running.forwarders.values.map {
                Published(container: $0.publication.container, proto: $0.publication.proto,
                          containerPort: $0.publication.target.port, host: $0.forwarder.address)
            })
        }
    }
}
