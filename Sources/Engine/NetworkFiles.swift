import EngineAPI

/// The three files docker writes for every container and bind-mounts over the image's:
/// `/etc/hosts`, `/etc/hostname` and `/etc/resolv.conf`. Pure: the host's resolv.conf and the
/// container's addresses are passed in.
struct NetworkFiles: Sendable, Hashable, Codable {
    var hostname: String
    var domainname: String?
    var dns: ContainerSpec.DNSSettings

    /// `/etc/hosts`: loopback names, the container's own name on its first address, then
    /// `extra_hosts` in file order (written `name=address` or `name:address`).
    func hosts(addresses: [String], hostHosts: String? = nil) -> String {
        var lines: [String]
        if let hostHosts {
            // network_mode: host sees the host's names, as docker does.
            lines = hostHosts.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            if lines.last == "" { lines.removeLast() }
        } else {
            lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"]
            let names = [domainname.map { "\(hostname).\($0)" }, hostname].compactMap { $0 }.joined(separator: " ")
            for address in addresses { lines.append("\(address)\t\(names)") }
        }
        for entry in dns.extraHosts {
            guard let (name, address) = Self.splitExtraHost(entry) else { continue }
            lines.append("\(address == "host-gateway" ? "127.0.0.1" : address)\t\(name)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `name=address`, or docker's older `name:address` (IPv6 addresses contain colons, so the
    /// first one splits).
    static func splitExtraHost(_ entry: String) -> (String, String)? {
        let separator = entry.firstIndex(of: "=") ?? entry.firstIndex(of: ":")
        guard let separator else { return nil }
        let name = String(entry[..<separator]), address = String(entry[entry.index(after: separator)...])
        guard !name.isEmpty, !address.isEmpty else { return nil }
        return (name, address)
    }

    /// `/etc/hostname`.
    var hostnameFile: String { hostname + "\n" }

    /// `/etc/resolv.conf`: `dns` servers when given, else `defaultServers` (the network's DNS
    /// server on its gateway, or the host's for `network_mode: host`); `dns_search` and
    /// `dns_opt` replace the host's `search` and `options`, as docker does.
    func resolvConf(defaultServers: [String], host: String) -> String {
        var hostSearch: [String] = [], hostOptions: [String] = []
        for line in host.split(separator: "\n") {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let key = words.first else { continue }
            if key == "search" || key == "domain" { hostSearch = Array(words.dropFirst()) }
            if key == "options" { hostOptions += words.dropFirst() }
        }
        let servers = dns.servers.isEmpty ? defaultServers : dns.servers
        let search = dns.search.isEmpty ? hostSearch : dns.search
        let options = dns.options.isEmpty ? hostOptions : dns.options
        var lines = servers.map { "nameserver \($0)" }
        if !search.isEmpty { lines.append("search " + search.joined(separator: " ")) }
        if !options.isEmpty { lines.append("options " + options.joined(separator: " ")) }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The nameservers of a resolv.conf.
    static func nameservers(_ text: String) -> [String] {
        text.split(separator: "\n").compactMap { line in
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            return words.count >= 2 && words[0] == "nameserver" ? String(words[1]) : nil
        }
    }
}
