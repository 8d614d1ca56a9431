#if canImport(Glibc)
import Glibc
#endif
import SystemSupport

/// Turns a failed bind into an error that says what to do: who holds a port in use, and why a
/// low port is refused to an unprivileged user.
enum PortProblem {
    static func explain(_ error: SystemError, address: SocketAddress, proto: PortForwarder.Proto) -> NetworkingError {
        let object = "\(address)/\(proto.rawValue)"
        switch error.errno {
        case EADDRINUSE:
            let holder = holders(port: address.port, proto: proto).first
            let who = holder.map { "by \($0)" } ?? "by another process (one this user cannot see)"
            return NetworkingError(.portInUse, object: object,
                                   "port \(address.port)/\(proto.rawValue) is already in use \(who): stop it, or publish another host port",
                                   errno: error.errno)
        case EACCES where getuid() != 0:
            let start = unprivilegedPortStart()
            if address.port < start {
                return NetworkingError(.privilegedPort, object: object,
                                       "port \(address.port) is below net.ipv4.ip_unprivileged_port_start (\(start)), so only root may bind it: "
                                       + "publish a port of \(start) or more, or lower the limit (sysctl -w net.ipv4.ip_unprivileged_port_start=\(address.port))",
                                       errno: error.errno)
            }
            return NetworkingError(error)
        case EADDRNOTAVAIL:
            return NetworkingError(.invalidAddress, object: object, "\(address.ip) is not an address of this host: publish on one of its addresses or 0.0.0.0",
                                   errno: error.errno)
        default:
            return NetworkingError(error)
        }
    }

    /// `net.ipv4.ip_unprivileged_port_start` (1024 when it cannot be read, the kernel's default).
    static func unprivilegedPortStart() -> UInt16 {
        let text = (try? Files.read("/proc/sys/net/ipv4/ip_unprivileged_port_start", stage: "read sysctl")) ?? ""
        return UInt16(trimmed(text)) ?? 1024
    }

    /// `pid 123 (nginx)` for each process with a socket bound to `port`, found through the socket
    /// inodes of /proc/net/{tcp,udp}{,6} and the fd links of /proc/*/fd. Only processes this user may
    /// inspect are found.
    static func holders(port: UInt16, proto: PortForwarder.Proto) -> [String] {
        var inodes: Set<String> = []
        for table in proto == .tcp ? ["tcp", "tcp6"] : ["udp", "udp6"] {
            guard let text = try? Files.read("/proc/net/\(table)", stage: "port holder") else { continue }
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                guard fields.count > 9, let colon = fields[1].lastIndex(of: ":"),
                      UInt16(fields[1][fields[1].index(after: colon)...], radix: 16) == port else { continue }
                // TCP: only listeners (state 0A), not connections that happen to use the port.
                if proto == .tcp && fields[3] != "0A" { continue }
                if fields[9] != "0" { inodes.insert("socket:[\(fields[9])]") }
            }
        }
        guard !inodes.isEmpty, let proc = opendir("/proc") else { return [] }
        defer { closedir(proc) }
        var found: [String] = []
        while let entry = readdir(proc) {
            let pid = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard Int32(pid) != nil, let fds = opendir("/proc/\(pid)/fd") else { continue }
            defer { closedir(fds) }
            while let fd = readdir(fds) {
                let name = withUnsafeBytes(of: fd.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                var target = [CChar](repeating: 0, count: 64)
                let length = readlink("/proc/\(pid)/fd/\(name)", &target, target.count - 1)
                guard length > 0 else { continue }
                let link = String(decoding: target[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if inodes.contains(link) {
                    let command = trimmed((try? Files.read("/proc/\(pid)/comm", stage: "port holder")) ?? "?")
                    found.append("pid \(pid) (\(command))")
                    break
                }
            }
        }
        return found
    }
}

private func trimmed(_ text: String) -> String {
    String(text.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
}
