import ComposeSpec
import Foundation
import Testing

/// Tests of the service dependency graph.
@Suite struct DependencyGraphTests {
    @Test("the dependency graph orders services and names a cycle")
    func dependencyGraph() throws {
        let fixture = try TestProject(["compose.yaml": """
            services:
              web: {image: x, depends_on: [api], links: [cache]}
              api: {image: x, depends_on: {db: {condition: service_healthy}}}
              db: {image: x}
              cache: {image: x}
              sidecar: {image: x, network_mode: "service:web", volumes_from: [db]}
            """])
        let graph = try DependencyGraph(project: fixture.load().project)
        #expect(graph.startOrder == ["cache", "db", "api", "web", "sidecar"])
        #expect(graph.stopOrder.first == "sidecar")
        #expect(graph.dependents(of: "db") == ["api", "sidecar"])
        #expect(graph.closure(of: ["web"]) == ["web", "api", "db", "cache"])
    }
}
