/// A network to create: the engine-wide name, its labels and what the compose file says of it.
public struct NetworkSpec: Sendable, Hashable, Codable {
    /// `name:`, else `<project>_<key>`.
    public var name: String
    /// `labels` plus `com.docker.compose.project`, `.network` and `.version`.
    public var labels: [String: String]
    /// `driver`; nil is the engine's bridge.
    public var driver: String?
    public var driverOptions: [String: String]
    /// `internal`: no route out.
    public var isInternal: Bool
    public var enableIPv6: Bool
    /// `ipam.config[].subnet` / `gateway`.
    public var subnets: [Subnet]

    public struct Subnet: Sendable, Hashable, Codable {
        public var subnet: String
        public var gateway: String?
        /// `ip_range`: where automatic addresses come from, inside `subnet`.
        public var ipRange: String?
        public init(subnet: String, gateway: String?, ipRange: String? = nil) {
            self.subnet = subnet
            self.gateway = gateway
            self.ipRange = ipRange
        }
    }

    public init(name: String, labels: [String: String]) {
        self.name = name
        self.labels = labels
        driverOptions = [:]
        isInternal = false
        enableIPv6 = false
        subnets = []
    }
}
