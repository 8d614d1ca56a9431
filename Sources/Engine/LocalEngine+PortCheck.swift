import EngineAPI
import Networking
import StateStore

/// The check `up` and `start` make before they touch anything: a fixed host port someone else
/// holds would otherwise surface only when the supervisor reloads, after the containers started,
/// leaving them running without their port.
extension LocalEngine {
    /// Fails with the first fixed host port in `bindings` (per service) that cannot be bound now,
    /// naming the service, the port and, where /proc shows it, the process that holds it.
    ///
    /// Ports the project's own supervisor already publishes (recorded on its containers) are not
    /// checked: they are held for this project and the supervisor's reload hands them on. Random
    /// ports and ranges are not checked either: the forwarder picks a free one.
    /// `skippingPortsItPublishes: false` checks those too: `run --service-ports` adds a container,
    /// it does not replace one, so a port its service already publishes is taken for it.
    public func checkHostPortsAvailable(_ bindings: [String: [ContainerSpec.PortBinding]], project: String,
                                        skippingPortsItPublishes: Bool = true) throws(EngineError) {
        let held = !skippingPortsItPublishes ? [] : try stateCall("project \(project) published ports") { () throws(StateError) -> Set<String> in
            var held: Set<String> = []
            for container in try store.containers(project: project) {
                for port in container.publishedPorts { held.insert("\(port.hostPort)/\(port.proto)") }
            }
            return held
        }
        var checked: Set<String> = []
        for (service, binding) in bindings.sorted(by: { $0.key < $1.key }).flatMap({ entry in entry.value.map { (entry.key, $0) } })
        where binding.proto == "tcp" || binding.proto == "udp" {
            let object = "service \(service)"
            // The same parsing as the supervisor's, so the check binds exactly what it will bind.
            let publication = try network(object) { () throws(NetworkingError) in
                try NetworkServices.Desired.Publication(container: "", hostIP: binding.hostIP, hostPort: binding.hostPort, proto: binding.proto,
                                                        target: SocketAddress(.anyIPv4, UInt16(clamping: binding.containerPort)))
            }
            guard publication.hostPorts.count == 1, let port = publication.hostPorts.first,
                  !held.contains("\(port)/\(binding.proto)"),
                  checked.insert("\(publication.hostIP) \(port)/\(binding.proto)").inserted else { continue }
            try network(object) { () throws(NetworkingError) in
                try PortForwarder.checkAvailable(proto: publication.proto, listen: SocketAddress(publication.hostIP, port))
            }
        }
    }
}
