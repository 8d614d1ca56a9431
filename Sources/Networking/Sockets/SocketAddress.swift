#if canImport(Glibc)
import Glibc
#endif

/// An IP address and a port: what a socket binds to or connects to.
public struct SocketAddress: Sendable, Hashable, Codable, CustomStringConvertible {
    public var ip: IPAddress
    public var port: UInt16

    public init(_ ip: IPAddress, _ port: UInt16) {
        self.ip = ip
        self.port = port
    }

    /// Parses `1.2.3.4:53` or `[::1]:53`.
    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]),
              let ip = IPAddress(String(text[..<colon])) else { return nil }
        if !ip.isIPv4 && !text.hasPrefix("[") { return nil }
        self.init(ip, port)
    }

    /// `1.2.3.4:53`, `[::1]:53`: the forms docker prints.
    public var description: String { ip.isIPv4 ? "\(ip):\(port)" : "[\(ip)]:\(port)" }

    /// Calls `body` with this address as a `sockaddr` (for bind, connect, sendto).
    public func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        var storage = sockaddr_storage()
        // `unsafelyUnwrapped` below is safe: the buffer of a non-empty value (sockaddr_storage is 128
        // bytes) always has a base address.
        return withUnsafeMutableBytes(of: &storage) { raw in
            if ip.isIPv4 {
                let sin = raw.baseAddress.unsafelyUnwrapped.assumingMemoryBound(to: sockaddr_in.self)
                sin.pointee.sin_family = sa_family_t(AF_INET)
                sin.pointee.sin_port = port.bigEndian
                withUnsafeMutableBytes(of: &sin.pointee.sin_addr) { $0.copyBytes(from: ip.bytes) }
                return body(UnsafeRawPointer(sin).assumingMemoryBound(to: sockaddr.self), socklen_t(MemoryLayout<sockaddr_in>.size))
            }
            let sin6 = raw.baseAddress.unsafelyUnwrapped.assumingMemoryBound(to: sockaddr_in6.self)
            sin6.pointee.sin6_family = sa_family_t(AF_INET6)
            sin6.pointee.sin6_port = port.bigEndian
            withUnsafeMutableBytes(of: &sin6.pointee.sin6_addr) { $0.copyBytes(from: ip.bytes) }
            return body(UnsafeRawPointer(sin6).assumingMemoryBound(to: sockaddr.self), socklen_t(MemoryLayout<sockaddr_in6>.size))
        }
    }

    /// The address in a `sockaddr_storage` a kernel call filled in; nil for non-IP families.
    public init?(storage: sockaddr_storage) {
        let family = Int32(storage.ss_family)
        let decoded: SocketAddress? = withUnsafeBytes(of: storage) { raw in
            switch family {
            case AF_INET:
                let sin = raw.load(as: sockaddr_in.self)
                let bytes = withUnsafeBytes(of: sin.sin_addr) { Array($0) }
                return IPAddress(bytes: bytes).map { SocketAddress($0, UInt16(bigEndian: sin.sin_port)) }
            case AF_INET6:
                let sin6 = raw.load(as: sockaddr_in6.self)
                let bytes = withUnsafeBytes(of: sin6.sin6_addr) { Array($0) }
                return IPAddress(bytes: bytes).map { SocketAddress($0, UInt16(bigEndian: sin6.sin6_port)) }
            default:
                return nil
            }
        }
        guard let decoded else { return nil }
        self = decoded
    }
}
