/// The order services start and stop in: an edge for every `depends_on`, `network_mode:
/// service:`, `volumes_from` service and `links` entry. Start order is topological (dependencies
/// first, names breaking ties so the order is stable); stop order is its reverse.
public struct DependencyGraph: Sendable, Hashable {
    /// Why one service must start after another.
    public enum EdgeKind: String, Sendable, Hashable {
        case dependsOn = "depends_on"
        case networkMode = "network_mode"
        case ipc = "ipc"
        case pid = "pid"
        case volumesFrom = "volumes_from"
        case links = "links"
    }

    public struct Edge: Sendable, Hashable {
        public var name: String
        public var kind: EdgeKind
        /// depends_on's `required: false`: a missing target is a warning.
        public var required: Bool
    }

    /// Dependencies of each service (only those that exist in the project).
    public let dependencies: [String: [Edge]]
    /// Services in start order.
    public let startOrder: [String]

    /// The graph of `project`'s active services. Throws `.cycle` with the cycle's path.
    public init(project: Project) throws(ComposeError) {
        var dependencies: [String: [Edge]] = [:]
        for (name, service) in project.services {
            dependencies[name] = Self.dependencies(of: service).filter { project.services[$0.name] != nil }
        }
        self.dependencies = dependencies
        startOrder = try Self.sort(dependencies)
    }

    public var stopOrder: [String] { startOrder.reversed() }

    /// Services that depend on `name`, directly.
    public func dependents(of name: String) -> [String] {
        dependencies.filter { $0.value.contains(where: { $0.name == name }) }.map(\.key).sorted()
    }

    /// `names` and everything they depend on, transitively.
    public func closure(of names: [String]) -> Set<String> {
        var seen = Set<String>()
        var queue = names
        while let name = queue.popLast() {
            guard seen.insert(name).inserted else { continue }
            queue += (dependencies[name] ?? []).map(\.name)
        }
        return seen
    }

    /// Every service `service` refers to, whether or not it exists.
    static func dependencies(of service: Service) -> [Edge] {
        var edges: [Edge] = []
        for (name, dependency) in (service.dependsOn ?? [:]).sorted(by: { $0.key < $1.key }) {
            edges.append(Edge(name: name, kind: .dependsOn, required: dependency.required))
        }
        for (mode, kind) in [(service.networkMode, EdgeKind.networkMode), (service.ipc, .ipc), (service.pid, .pid)] {
            if let mode, mode.hasPrefix("service:") {
                edges.append(Edge(name: String(mode.dropFirst("service:".count)), kind: kind, required: true))
            }
        }
        for source in service.volumesFrom ?? [] where !source.hasPrefix("container:") {
            let name = source.hasPrefix("service:") ? String(source.dropFirst("service:".count)) : source
            let bare = name.split(separator: ":").first.map(String.init) ?? name
            edges.append(Edge(name: bare, kind: .volumesFrom, required: true))
        }
        for link in service.links ?? [] {
            let name = link.split(separator: ":").first.map(String.init) ?? link
            edges.append(Edge(name: name, kind: .links, required: true))
        }
        return edges
    }

    /// Kahn's algorithm over sorted names; on a cycle, walks it to name every service in it.
    private static func sort(_ dependencies: [String: [Edge]]) throws(ComposeError) -> [String] {
        var remaining = dependencies.mapValues { Set($0.map(\.name)) }
        var order: [String] = []
        order.reserveCapacity(dependencies.count)
        var ready = remaining.filter { $0.value.isEmpty }.map(\.key).sorted(by: >)
        var dependents: [String: [String]] = [:]
        for (name, edges) in dependencies {
            for edge in Set(edges.map(\.name)) { dependents[edge, default: []].append(name) }
        }
        while let name = ready.popLast() {
            order.append(name)
            remaining[name] = nil
            var released: [String] = []
            for dependent in dependents[name] ?? [] {
                remaining[dependent]?.remove(name)
                if remaining[dependent]?.isEmpty == true { released.append(dependent) }
            }
            if !released.isEmpty {
                ready += released
                ready.sort(by: >)
            }
        }
        guard remaining.isEmpty else {
            throw ComposeError(.cycle, at: .synthetic("services"), path: "services",
                               "dependency cycle: \(cycle(in: remaining).joined(separator: " → "))")
        }
        return order
    }

    private static func cycle(in remaining: [String: Set<String>]) -> [String] {
        guard var current = remaining.keys.sorted().first else { return [] }
        var path: [String] = []
        var seen: [String: Int] = [:]
        while seen[current] == nil {
            seen[current] = path.count
            path.append(current)
            guard let next = remaining[current]?.sorted().first(where: { remaining[$0] != nil }) else { break }
            current = next
        }
        guard let start = seen[current] else { return path }
        return Array(path[start...]) + [current]
    }
}
