import Engine
import EngineAPI
import Foundation
import Networking
import Testing

/// The embedded DNS server and the port forwarder with real containers on the other side. Until
/// the supervisor hosts `NetworkServices` and containers get bridges (the net branch), the services
/// run in the test process and the containers share the host's network namespace.
@Suite("Network services with real containers", .serialized,
       .enabled(if: EngineFixture.unavailableReason == nil, "\(EngineFixture.unavailableReason ?? "")"))
struct NetworkServicesContainerTests {
    static let dnsIP = "127.0.10.9"

    /// A loopback port that was free a moment ago.
    static func freePort() -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in(sin_family: sa_family_t(AF_INET), sin_port: 0, sin_addr: in_addr(s_addr: UInt32(0x7f00_0001).bigEndian),
                                  sin_zero: (0, 0, 0, 0, 0, 0, 0, 0))
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return UInt16(bigEndian: address.sin_port)
    }

    /// `GET /index.html` over a fresh connection to `address`, the response or "".
    static func httpGet(_ address: SocketAddress) -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var timeout = timeval(tv_sec: 3, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard address.withSockAddr({ connect(fd, $0, $1) }) == 0 else { return "" }
        let request = Array("GET /index.html HTTP/1.0\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            response += buffer[0..<n]
        }
        return String(decoding: response, as: UTF8.self)
    }

    @Test("a container resolves a scaled service through the embedded DNS server, and the host reaches a container's server on its published port")
    func dnsAndPublishedPort() async throws {
        let area = try EngineFixture.Area()
        defer { area.remove() }
        let engine = area.engine
        let backend = Self.freePort()
        let replicas = try ["10.89.0.2", "10.89.0.3"].map { try #require(IPAddress($0)) }
        let services = NetworkServices(configuration: .init(dns: .init(upstreams: [])))
        defer { services.shutdown() }
        let published = try services.apply(.init(
            networks: ["demo_default": .init(listen: SocketAddress(try #require(IPAddress(Self.dnsIP)), 53),
                                             names: DNSNameTable(["web": replicas, "demo-web-1": [replicas[0]]]))],
            ports: [.init(container: "demo-web-1", proto: .tcp, hostIP: .loopbackIPv4, hostPorts: [],
                          target: SocketAddress(.loopbackIPv4, backend))]))
        let port = try #require(published.first)

        var web = try await area.spec("demo-web-1", command: [
            "sh", "-c", "mkdir -p /tmp/www && echo hello-from-the-container > /tmp/www/index.html && exec httpd -f -p 127.0.0.1:\(backend) -h /tmp/www",
        ], service: "web")
        web.namespaces.network = .host
        let webID = try await engine.createContainer(web)
        try await engine.startContainer(id: webID)

        var client = try await area.spec("demo-client-1", command: ["sh", "-c", "nslookup web \(Self.dnsIP) > /out/dns 2>&1"], service: "client")
        client.namespaces.network = .host
        client.mounts = [.init(kind: .bind, source: area.host, target: "/out")]
        let clientID = try await engine.createContainer(client)
        try await engine.startContainer(id: clientID)
        let finished = try await area.waitForExit(clientID)
        let lookup = (try? String(contentsOfFile: area.host + "/dns", encoding: .utf8)) ?? ""

        var response = ""
        for _ in 0..<50 {
            response = Self.httpGet(port.host)
            if response.contains("hello-from-the-container") { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        try await engine.stopContainer(id: webID, signal: "SIGKILL", gracePeriod: 1)
        try await engine.removeContainer(id: webID, force: true, removeAnonymousVolumes: true)
        try await engine.removeContainer(id: clientID, force: true, removeAnonymousVolumes: true)

        #expect(finished?.exitCode == 0, "nslookup: \(lookup)")
        #expect(lookup.contains("10.89.0.2") && lookup.contains("10.89.0.3"), "every replica answered: \(lookup)")
        #expect(response.contains("hello-from-the-container"), "through \(port.host): \(response)")
    }
}
