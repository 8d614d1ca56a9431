import ArgumentParser
import ComposeSpec
import EngineAPI

/// `berth port SERVICE PRIVATE_PORT`, as `docker compose port`: the host address a container
/// port is published on (`0.0.0.0:8080`), read from the ports the forwarder recorded.
struct PortCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "port", abstract: "Print the public port for a port binding.")

    @OptionGroup var project: ProjectOptions

    @Option(name: .customLong("protocol"), help: ArgumentHelp("tcp or udp.", valueName: "protocol"))
    var proto = "tcp"

    @Option(name: .long, help: "Index of the container if the service has multiple replicas.")
    var index = 1

    @Argument(help: "The service.")
    var service: String

    @Argument(help: ArgumentHelp("The container port.", valueName: "private_port"))
    var privatePort: Int

    func validate() throws {
        guard proto == "tcp" || proto == "udp" else { throw ValidationError("--protocol \(proto): expected tcp or udp") }
        guard (1...65535).contains(privatePort) else { throw ValidationError("port \(privatePort): expected 1 to 65535") }
        guard index >= 1 else { throw ValidationError("--index \(index): replicas are numbered from 1") }
    }

    func run() async throws {
        let loaded = try project.load()
        guard loaded.services[service] != nil else { throw CommandFailure("no such service: \(service)") }
        let observed = try await EngineSession().observe(project: loaded.name)
        guard let container = observed.containers.first(where: { $0.service == service && $0.number == index && !$0.isOneoff }) else {
            throw CommandFailure("service \(service) has no container \(index): run `berth up -d` first")
        }
        guard container.isActive else {
            throw CommandFailure("container \(container.name) is \(container.state.rawValue): its ports are published while it runs")
        }
        let bindings = container.publishedPorts.filter { $0.containerPort == privatePort && $0.proto == proto }
        // docker compose prints one binding; IPv4 first when a port is published on both families.
        let ordered = bindings.sorted { first, second in
            let (v4First, v4Second) = (!first.hostIP.contains(":"), !second.hostIP.contains(":"))
            return v4First != v4Second ? v4First : first.hostIP < second.hostIP
        }
        guard let binding = ordered.first else {
            throw CommandFailure("no port \(privatePort)/\(proto) published for container \(container.name)")
        }
        Console.out(binding.hostIP.contains(":") ? "[\(binding.hostIP)]:\(binding.hostPort)" : "\(binding.hostIP):\(binding.hostPort)")
    }
}
