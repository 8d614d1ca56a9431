import EngineAPI
import Foundation
import Networking
import Testing
@testable import Engine

/// `LocalEngine.networkServicesDesired` and friends, which the project's supervisor hosts: what it
/// computes from the state store must let containers on a bridge find each other by name and the
/// host reach a published port.
@Suite("Network services over bridges", .serialized,
       .enabled(if: EngineFixture.unavailableReason == nil, "\(EngineFixture.unavailableReason ?? "")"))
struct NetworkServicesWiringTests {
    @Test("a container fetches another by service name through its network's DNS server, and the host reaches it on its published port")
    func serviceNameAndPublishedPort() async throws {
        let area = try LocalEngineNetworkTests.Area()
        let network = try await area.network("default")
        let web = try await area.run("web", LocalEngineNetworkTests.server, networks: [network]) { spec in
            spec.ports = [.init(hostIP: "127.0.0.1", hostPort: nil, containerPort: 8080, proto: "tcp")]
        }
        let services = NetworkServices(configuration: area.engine.networkServicesConfiguration())
        let desired = try area.engine.networkServicesDesired(project: "demo")
        let published = try services.apply(desired)
        try area.engine.recordPublishedPorts(project: "demo", published)

        let client = try await area.run("client", LocalEngineNetworkTests.fetch("http://web:8080/index.html", into: "by-name"),
                                        networks: [network])
        let finished = try await area.area.waitForExit(client)
        let port = try #require(published.first { $0.container == web })
        var response = ""
        for _ in 0..<30 where !response.contains("served") {
            response = NetworkServicesContainerTests.httpGet(port.host)
            if !response.contains("served") { try await Task.sleep(for: .milliseconds(100)) }
        }
        let recorded = try await area.area.observed(web)?.publishedPorts ?? []
        let byName = area.output("by-name")
        services.shutdown()
        await area.finish()

        #expect(desired.networks[network]?.names.entries["web"]?.count == 1, "the table names web: \(desired.networks)")
        #expect(finished?.exitCode == 0)
        #expect(byName.contains("served"), "wget http://web:8080 through the embedded DNS: \(byName)")
        #expect(response.contains("served"), "GET through the published port \(port.host): \(response)")
        #expect(recorded == [.init(hostIP: "127.0.0.1", hostPort: Int(port.host.port), containerPort: 8080, proto: "tcp")])
    }
}
