extension NetworkServices.Desired.Publication {
    /// A publication from the text of a port binding as compose writes it: `hostIP` empty or nil
    /// for all IPv4 addresses, `hostPort` empty or nil for a random port, one port (`8080`) or a
    /// range (`8000-8010`, the first free port wins); `proto` `tcp` or `udp`.
    public init(container: String, hostIP: String?, hostPort: String?, proto: String, target: SocketAddress) throws(NetworkingError) {
        let object = "\(hostIP.map { $0 + ":" } ?? "")\(hostPort ?? ""):\(target.port)/\(proto)"
        guard let parsedProto = PortForwarder.Proto(rawValue: proto) else {
            throw NetworkingError(.invalidAddress, object: object, "protocol \(proto) cannot be published: use tcp or udp")
        }
        var address = IPAddress.anyIPv4
        if let hostIP, !hostIP.isEmpty {
            guard let parsed = IPAddress(hostIP) else {
                throw NetworkingError(.invalidAddress, object: object, "\(hostIP) is not an IP address")
            }
            address = parsed
        }
        var ports: [UInt16] = []
        if let hostPort, !hostPort.isEmpty {
            let bounds = hostPort.split(separator: "-", omittingEmptySubsequences: false).map { UInt16($0) }
            guard (1...2).contains(bounds.count), let low = bounds.first ?? nil, let high = bounds.last ?? nil, low >= 1, low <= high else {
                throw NetworkingError(.invalidAddress, object: object, "host port \(hostPort) is not a port or a range of ports (8000-8010)")
            }
            ports = Array(low...high)
        }
        self.init(container: container, proto: parsedProto, hostIP: address, hostPorts: ports, target: target)
    }
}
