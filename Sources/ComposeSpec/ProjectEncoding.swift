import Foundation
import Crypto
import YAML

/// The canonical form of a project, as `berth config` prints it and as config hashes see it.
public enum ProjectEncoding {
    /// The project as one node: `name`, `services`, `networks`, `volumes`, `secrets`, `configs`,
    /// then extensions; services in name order, every key in its long form.
    /// With `escapingDollars`, every `$` in a value is written `$$`, so the output loads again
    /// to the same project (what `docker compose config` does after interpolation).
    public static func node(of project: Project, escapingDollars: Bool = false) throws -> YAMLNode {
        let node = try unescapedNode(of: project)
        return escapingDollars ? escapeDollars(node) : node
    }

    private static func escapeDollars(_ node: YAMLNode) -> YAMLNode {
        switch node.kind {
        case .scalar(let text, let style):
            guard text.utf8.contains(UInt8(ascii: "$")) else { return node }
            return YAMLNode(.scalar(text.replacingOccurrences(of: "$", with: "$$"), style), tag: node.tag,
                            location: node.location)
        case .sequence(let items):
            return YAMLNode(.sequence(items.map(escapeDollars)), tag: node.tag, location: node.location)
        case .mapping(let pairs):
            return YAMLNode(.mapping(pairs.map { YAMLPair(key: $0.key, value: escapeDollars($0.value)) }),
                            tag: node.tag, location: node.location)
        }
    }

    private static func unescapedNode(of project: Project) throws -> YAMLNode {
        let encoder = YAMLNodeEncoder()
        let at = SourceLocation.synthetic("config")
        var pairs: [YAMLPair] = [YAMLPair(key: .scalar("name", at: at), value: try encoder.encode(project.name))]
        var services: [YAMLPair] = []
        for name in project.serviceNames {
            guard let service = project.services[name] else { continue }
            services.append(YAMLPair(key: .scalar(name, at: at), value: try node(of: service, encoder: encoder)))
        }
        pairs.append(YAMLPair(key: .scalar("services", at: at), value: .mapping(services, at: at)))
        func section<T: Encodable>(_ key: String, _ values: [String: T], extensions: (T) -> [String: ComposeValue]) throws {
            guard !values.isEmpty else { return }
            var entries: [YAMLPair] = []
            for name in values.keys.sorted() {
                guard let value = values[name] else { continue }
                let node = try withExtensions(try encoder.encode(value), extensions(value), encoder: encoder)
                entries.append(YAMLPair(key: .scalar(name, at: at), value: node))
            }
            pairs.append(YAMLPair(key: .scalar(key, at: at), value: .mapping(entries, at: at)))
        }
        try section("networks", project.networks, extensions: \.extensions)
        try section("volumes", project.volumes, extensions: \.extensions)
        try section("secrets", project.secrets, extensions: \.extensions)
        try section("configs", project.configs, extensions: \.extensions)
        for key in project.extensions.keys.sorted() {
            guard let value = project.extensions[key] else { continue }
            pairs.append(YAMLPair(key: .scalar(key, at: at), value: try encoder.encode(value)))
        }
        return .mapping(pairs, at: at)
    }

    public static func node(of service: Service, encoder: YAMLNodeEncoder = YAMLNodeEncoder()) throws -> YAMLNode {
        try withExtensions(try encoder.encode(service), service.extensions, encoder: encoder)
    }

    private static func withExtensions(_ node: YAMLNode, _ extensions: [String: ComposeValue],
                                       encoder: YAMLNodeEncoder) throws -> YAMLNode {
        guard !extensions.isEmpty else { return node }
        var pairs = node.mappingPairs ?? []
        for key in extensions.keys.sorted() {
            guard let value = extensions[key] else { continue }
            pairs.append(YAMLPair(key: .scalar(key, at: node.location), value: try encoder.encode(value)))
        }
        return .mapping(pairs, at: node.location)
    }
}

/// The hash Berth labels containers with (`com.docker.compose.config-hash`): SHA-256 of the
/// service's canonical JSON, leaving out what does not change a container (build, pull policy,
/// scale, dependencies, profiles). Same file, same hash; any effective change, another hash.
public enum ConfigHash {
    public static func hash(of service: Service) throws -> String {
        let json = JSONEmitter.emit(try ProjectEncoding.node(of: hashedPart(of: service)), pretty: false)
        return SHA256.hash(data: Array(json.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// The service without what the hash leaves out; anything that records configurations to
    /// compare them (the planner's changed-key names) must leave out the same.
    public static func hashedPart(of service: Service) -> Service {
        var service = service
        service.build = nil
        service.pullPolicy = nil
        service.scale = nil
        service.deploy?.replicas = nil
        service.dependsOn = nil
        service.profiles = nil
        return service
    }
}
