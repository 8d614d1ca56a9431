#if canImport(Glibc)
import Glibc
#endif
import EngineAPI
import Foundation
import SystemSupport

extension LocalEngine {
    /// Rootful, a network with a way out is useless while the host does not forward: its
    /// containers' packets to anything beyond the host would be dropped at the bridge. Docker's
    /// daemon turns `net.ipv4.ip_forward` on when it sets up its bridge; Berth does the same when
    /// it makes a non-internal network (and `net.ipv6.conf.all.forwarding` for one with
    /// `enable_ipv6`). What crosses between networks is still decided by `NetworkFirewall`'s
    /// tables, so forwarding opens nothing between Berth's networks. Rootless, the per-user
    /// namespace turns forwarding on inside itself (berth-init's holder) and the host's is not
    /// touched.
    func enableForwarding(ipv6: Bool, object: String) throws(EngineError) {
        guard !rootless else { return }
        var switches = ["/proc/sys/net/ipv4/ip_forward"]
        if ipv6 { switches.append("/proc/sys/net/ipv6/conf/all/forwarding") }
        for path in switches {
            let current = try? Files.read(path, stage: "forwarding")
            // Written only when off, so a host where it is on already (or /proc/sys is read-only
            // but forwarding was enabled by its owner) needs no write access.
            guard current?.first == "0" else { continue }
            let fd = open(path, O_WRONLY | O_CLOEXEC)
            let written = fd >= 0 && write(fd, "1\n", 2) == 2
            let failure = errno
            if fd >= 0 { close(fd) }
            if !written {
                let key = path.dropFirst("/proc/sys/".count).replacingOccurrences(of: "/", with: ".")
                throw EngineError(.failed, object: object,
                                  "enable \(key): \(String(cString: strerror(failure))): set it to 1 (sysctl -w \(key)=1) or make the network internal")
            }
        }
    }
}
