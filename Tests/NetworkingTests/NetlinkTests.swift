#if canImport(Glibc)
import Glibc
#endif
import Networking
import Testing

/// rtnetlink against the real kernel, inside throwaway network namespaces that go with the test:
/// nothing is created in the host's namespace.
@Suite("Netlink", .enabled(if: Namespaces.unavailableReason == nil, "\(Namespaces.unavailableReason ?? "")"))
struct NetlinkTests {
    /// A namespace standing in for the host, with a bridge `br0` at 10.200.0.1/24 (or `subnet`).
    struct Host {
        let namespace: NetworkNamespace
        let netlink: Netlink

        init() throws {
            namespace = try NetworkNamespace.create()
            netlink = try namespace.netlink()
            try netlink.setUp("lo")
        }

        func bridge(_ name: String, _ gateway: String) throws {
            try netlink.createBridge(name)
            try netlink.addAddress(name, family: AF_INET_VALUE, address: try #require(IPv4Address(gateway)).bytes, prefixLength: 24)
            try netlink.setUp(name)
        }

        /// A container namespace with `eth0` on `bridge` at `address`/24 and a default route via
        /// `gateway` (none when nil).
        func container(_ hostEnd: String, bridge: String, address: String, gateway: String?) throws -> NetworkNamespace {
            let container = try NetworkNamespace.create()
            let ip = try #require(IPv4Address(address))
            try netlink.createVeth(hostEnd, peer: "eth0", peerNamespace: container.descriptor, peerMAC: [2, 0x42] + ip.bytes)
            try netlink.setMaster(hostEnd, master: bridge)
            try netlink.setUp(hostEnd)
            let inside = try container.netlink()
            try inside.setUp("lo")
            try inside.addAddress("eth0", family: AF_INET_VALUE, address: ip.bytes, prefixLength: 24)
            try inside.setUp("eth0")
            if let gateway { try inside.addRoute(family: AF_INET_VALUE, gateway: try #require(IPv4Address(gateway)).bytes) }
            return container
        }
    }

    @Test("two namespaces on one bridge reach each other over TCP through veths made by netlink")
    func bridgeConnectsContainers() throws {
        let host = try Host()
        try host.bridge("br0", "10.200.0.1")
        let server = try host.container("vserver", bridge: "br0", address: "10.200.0.2", gateway: "10.200.0.1")
        let client = try host.container("vclient", bridge: "br0", address: "10.200.0.3", gateway: "10.200.0.1")
        #expect(try TCP.exchange(server: server, client: client, address: "10.200.0.2", port: 8080) == "hello")

        let links = try host.netlink.links()
        let bridge = try #require(links.first { $0.name == "br0" })
        #expect(bridge.kind == "bridge")
        #expect(bridge.isUp)
        let port = try #require(links.first { $0.name == "vserver" })
        #expect(port.kind == "veth")
        #expect(port.master == bridge.index)
        let inside = try server.netlink()
        #expect(try inside.link(named: "eth0")?.macAddress == "02:42:0a:c8:00:02")
        #expect(try inside.addresses().contains { $0.ipv4Subnet?.description == "10.200.0.0/24" && IPv4Address(bytes: $0.address)?.description == "10.200.0.2" })
        #expect(try inside.routes().contains { $0.isDefault && $0.gateway == IPv4Address("10.200.0.1")?.bytes })
    }

    @Test("without a route, a namespace on one bridge cannot reach another bridge's, and still reaches its own")
    func bridgesIsolate() throws {
        // No default routes: whether the "host" forwards (it copies the real host's ip_forward)
        // does not matter; Berth's isolation of forwarded traffic is the Engine's nft rules.
        let host = try Host()
        try host.bridge("br-a", "10.201.0.1")
        try host.bridge("br-b", "10.202.0.1")
        let server = try host.container("va", bridge: "br-a", address: "10.201.0.2", gateway: nil)
        let client = try host.container("vb", bridge: "br-b", address: "10.202.0.2", gateway: nil)
        do {
            _ = try TCP.exchange(server: server, client: client, address: "10.201.0.2", port: 8080)
            Issue.record("reached another bridge's namespace without a route")
        } catch let failure as TCP.Failure {
            #expect(failure.call == "connect")
            #expect(failure.errno == ENETUNREACH)
        }
        let peer = try host.container("vb2", bridge: "br-b", address: "10.202.0.3", gateway: nil)
        #expect(try TCP.exchange(server: peer, client: client, address: "10.202.0.3", port: 8080) == "hello")
    }

    @Test("a refused request names the request, the link and the kernel's reason")
    func errorsNameTheLink() throws {
        let host = try Host()
        try host.netlink.createBridge("br-dup")
        do {
            try host.netlink.createBridge("br-dup")
            Issue.record("a second bridge of the same name was accepted")
        } catch {
            #expect(error.code == .netlink)
            #expect(error.errno == EEXIST)
            #expect(error.description == "netlink RTM_NEWLINK br-dup: File exists")
        }
        do {
            try host.netlink.setUp("nonexistent0")
            Issue.record("a missing link was set up")
        } catch {
            #expect(error.errno == ENODEV)
            #expect(error.description.contains("nonexistent0"))
        }
        #expect(try host.netlink.link(named: "nonexistent0") == nil)
    }

    @Test("rename, MTU, move by pid-less descriptor and delete act on the named link")
    func linkChanges() throws {
        let host = try Host()
        let other = try NetworkNamespace.create()
        try host.netlink.createVeth("va0", peer: "vb0")
        try host.netlink.setMTU("va0", 1400)
        try host.netlink.rename("vb0", to: "vb-renamed")
        #expect(try host.netlink.link(named: "va0")?.mtu == 1400)
        try host.netlink.move("vb-renamed", toNamespace: other.descriptor)
        #expect(try host.netlink.link(named: "vb-renamed") == nil)
        #expect(try other.netlink().link(named: "vb-renamed")?.kind == "veth")
        try host.netlink.deleteLink("va0")
        #expect(try other.netlink().link(named: "vb-renamed") == nil, "deleting one end of a veth deletes both")
    }

    @Test("20 veth create/delete cycles leave the link count where it was")
    func noLeak() throws {
        let host = try Host()
        try host.bridge("br-leak", "10.203.0.1")
        let before = try host.netlink.links().count
        for cycle in 0..<20 {
            let container = try NetworkNamespace.create()
            try host.netlink.createVeth("vleak\(cycle)", peer: "eth0", peerNamespace: container.descriptor)
            try host.netlink.setMaster("vleak\(cycle)", master: "br-leak")
            try host.netlink.deleteLink("vleak\(cycle)")
        }
        #expect(try host.netlink.links().count == before)
    }
}

enum Namespaces {
    /// Why throwaway network namespaces cannot be made here, or nil.
    static let unavailableReason: String? = {
        if geteuid() != 0 { return "creating network namespaces needs root (CI runs this suite as root)" }
        do { _ = try NetworkNamespace.create() } catch { return "this kernel refuses a new network namespace: \(error)" }
        return nil
    }()
}

/// A TCP round trip between sockets opened inside two namespaces.
enum TCP {
    struct Failure: Error { var call: String; var errno: Int32 }

    static func socketAddress(_ address: String, _ port: UInt16) -> sockaddr_in {
        var socketAddress = sockaddr_in()
        socketAddress.sin_family = sa_family_t(AF_INET)
        socketAddress.sin_port = port.bigEndian
        socketAddress.sin_addr.s_addr = (IPv4Address(address)?.value ?? 0).bigEndian
        return socketAddress
    }

    /// Listens in `server` on `address:port`, connects from `client`, sends "hello" back.
    static func exchange(server: NetworkNamespace, client: NetworkNamespace, address: String, port: UInt16) throws -> String {
        let listener = try server.socket(domain: AF_INET, type: Int32(SOCK_STREAM.rawValue))
        defer { close(listener) }
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var local = socketAddress(address, port)
        let bound = withUnsafePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        if bound < 0 { throw Failure(call: "bind", errno: errno) }
        if listen(listener, 1) < 0 { throw Failure(call: "listen", errno: errno) }

        let connection = try client.socket(domain: AF_INET, type: Int32(SOCK_STREAM.rawValue))
        defer { close(connection) }
        // Bounds connect (a SYN into nowhere retries for minutes) and the reads.
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(connection, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var remote = socketAddress(address, port)
        let connected = withUnsafePointer(to: &remote) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(connection, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        if connected < 0 { throw Failure(call: "connect", errno: errno) }
        let accepted = accept(listener, nil, nil)
        if accepted < 0 { throw Failure(call: "accept", errno: errno) }
        defer { close(accepted) }
        let message = Array("hello".utf8)
        _ = message.withUnsafeBytes { send(accepted, $0.baseAddress, $0.count, 0) }
        var buffer = [UInt8](repeating: 0, count: 16)
        let received = buffer.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
        if received < 0 { throw Failure(call: "recv", errno: errno) }
        return String(decoding: buffer[0..<received], as: UTF8.self)
    }
}
