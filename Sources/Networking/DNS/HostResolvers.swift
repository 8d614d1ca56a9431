import SystemSupport

/// The host's DNS servers, where the embedded server forwards names it does not know.
public enum HostResolvers {
    /// The `nameserver` lines of a resolv.conf, on port 53. Loopback servers are kept: the
    /// embedded server forwards from the host's side, where they answer. Scoped IPv6 addresses
    /// (`fe80::1%eth0`) are skipped. With no server listed, glibc's default: 127.0.0.1.
    public static func parse(_ text: String) -> [SocketAddress] {
        var servers: [SocketAddress] = []
        for line in text.split(whereSeparator: \.isNewline) {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2, fields[0] == "nameserver", let ip = IPAddress(String(fields[1])) else { continue }
            servers.append(SocketAddress(ip, 53))
        }
        return servers.isEmpty ? [SocketAddress(.loopbackIPv4, 53)] : servers
    }

    /// The servers of /etc/resolv.conf (or of `path`).
    public static func system(path: String = "/etc/resolv.conf") -> [SocketAddress] {
        parse((try? Files.read(path, stage: "read resolvers")) ?? "")
    }
}
