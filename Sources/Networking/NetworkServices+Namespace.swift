#if canImport(Glibc)
import Glibc
#endif
import SystemSupport

extension NetworkServices.Configuration {
    /// Services for networks that live in another network namespace (a rootless network's,
    /// whose holder makes sockets inside it): each DNS server binds its gateway address there,
    /// and each forwarder connects to its container from there, while the forwarders' listeners
    /// stay in the caller's namespace, where the host's clients are.
    public init(socketsFrom makeSocket: @escaping @Sendable (_ domain: Int32, _ type: Int32) throws(NetworkingError) -> Int32) {
        let maker: Sockets.Maker = { (family, type) throws(SystemError) -> Int32 in
            do throws(NetworkingError) { return try makeSocket(family, type) } catch {
                throw SystemError(stage: "socket", call: "socket", object: error.object, errno: error.errno == 0 ? EIO : error.errno)
            }
        }
        self.init(
            bindDNS: { (address) throws(NetworkingError) -> DNSServer.Listeners in try DNSServer.bind(address, maker: maker) },
            connector: { (proto, target) throws(NetworkingError) -> Int32 in
                do throws(SystemError) {
                    return try Sockets.connecting(to: target, proto == .tcp ? .stream : .datagram, stage: "forward", maker: maker)
                } catch {
                    throw NetworkingError(error)
                }
            })
    }
}
