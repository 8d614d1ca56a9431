import Foundation

/// Where a registry named in image references is actually reached.
public struct RegistryEndpoint: Sendable, Hashable {
    /// The registry as image names spell it (`docker.io`, `localhost:5000`).
    public var registry: String
    /// The base URL of its API (`https://registry-1.docker.io`).
    public var baseURL: URL

    public init(registry: String, configuration: RegistriesConfiguration = RegistriesConfiguration()) {
        self.registry = registry
        let host = registry == "docker.io" ? "registry-1.docker.io" : registry
        let scheme = configuration.allowsPlainHTTP(registry) ? "http" : "https"
        // A registry name is a validated host[:port], so this URL always forms.
        baseURL = URL(string: "\(scheme)://\(host)") ?? URL(fileURLWithPath: "/")
    }

    /// The host part of `host[:port]` or `[v6]:port`.
    static func host(of registry: String) -> String {
        if registry.hasPrefix("["), let close = registry.firstIndex(of: "]") {
            return String(registry[registry.index(after: registry.startIndex)..<close])
        }
        return registry.split(separator: ":").first.map(String.init) ?? registry
    }

    /// `host:port` as error messages name it, with the scheme's default port filled in.
    var hostAndPort: String {
        let port = baseURL.port ?? (baseURL.scheme == "http" ? 80 : 443)
        return "\(baseURL.host ?? registry):\(port)"
    }
}
