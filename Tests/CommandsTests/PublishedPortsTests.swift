import Foundation
import Testing

/// Issue 5 through the binary: `up -d` gives services names on their network (the supervisor's
/// embedded DNS server) and publishes their ports on the host (its forwarders); a port another
/// process holds fails `up` naming it; `down` releases it.
@Suite("published ports and service names", .serialized,
       .enabled(if: ContainerFixture.unavailableReason == nil, "\(ContainerFixture.unavailableReason ?? "")"))
struct PublishedPortsTests {
    /// A project directory with engine directories of its own, brought down on release.
    final class Project {
        let directory: String
        let name = "net" + UUID().uuidString.prefix(8).lowercased()

        init(_ yaml: String) throws {
            directory = try temporaryDirectory(["compose.yaml": Data(yaml.utf8)])
        }

        deinit {
            _ = try? run(["down", "-v", "-t", "1"])
            try? FileManager.default.removeItem(atPath: directory)
        }

        @discardableResult
        func run(_ arguments: [String]) throws -> BerthBinary.Result {
            var environment = ProcessInfo.processInfo.environment
            environment["BERTH_DATA_DIR"] = directory + "/data"
            environment["BERTH_RUNTIME_DIR"] = directory + "/run"
            return try BerthBinary.runWithOutputFiles(["-p", name] + arguments, in: directory, environment: environment)
        }
    }

    static var image: String { "oci:\(ContainerFixture.images ?? "/nonexistent")/busybox" }

    /// A loopback TCP port nobody listens on now.
    static func freePort() -> Int {
        for _ in 0..<50 {
            let port = Int.random(in: 20_000...40_000)
            if httpGet(port: port) == nil { return port }
        }
        return 39_999
    }

    /// The body of `GET /` on 127.0.0.1:`port`, nil when nothing answers.
    static func httpGet(port: Int) -> String? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in(sin_family: sa_family_t(AF_INET), sin_port: UInt16(port).bigEndian,
                                  sin_addr: in_addr(s_addr: UInt32(0x7f00_0001).bigEndian), sin_zero: (0, 0, 0, 0, 0, 0, 0, 0))
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return nil }
        let request = Array("GET /index.html HTTP/1.0\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            response += buffer[0..<count]
        }
        return String(decoding: response, as: UTF8.self)
    }

    static func web(port: Int) -> String {
        """
          web:
            image: \(image)
            command: ["sh", "-c", "mkdir -p /www && echo served > /www/index.html && exec busybox httpd -f -p 8080 -h /www"]
            ports: ["127.0.0.1:\(port):8080"]
            networks:
              default:
                aliases: [frontend]
        """
    }

    @Test("a service fetches another by service name and by alias, the host reaches the published port, port prints it, and down releases it")
    func namesAndPorts() async throws {
        let port = Self.freePort()
        let fetch = "for i in $$(busybox seq 30); do busybox timeout 2 busybox wget -q -O - http://web:8080/ "
            + "&& busybox timeout 2 busybox wget -q -O - http://frontend:8080/ && exit 0; busybox sleep 0.2; done; exit 1"
        let project = try Project("""
            services:
            \(Self.web(port: port))
              client:
                image: \(Self.image)
                depends_on: [web]
                command: ["sh", "-c", "\(fetch)"]
            """)
        let up = try project.run(["up", "-d"])
        #expect(up.status == 0, "\(up.stderr)")

        var body: String?
        for _ in 0..<50 {
            body = Self.httpGet(port: port)
            if body?.contains("served") == true { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(body?.contains("served") == true, "GET 127.0.0.1:\(port): \(body ?? "nothing answered")")

        var client = ""
        for _ in 0..<100 {
            client = try project.run(["ps", "-a", "--format", "json"]).stdout
            if client.contains("Exited (0)") || client.contains("\"ExitCode\":0") && client.contains("exited") { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let logs = try project.run(["logs", "--no-log-prefix", "client"]).stdout
        #expect(logs.components(separatedBy: "served").count - 1 == 2, "client fetched web by name and alias: \(logs)")

        let printed = try project.run(["port", "web", "8080"])
        #expect(printed.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "127.0.0.1:\(port)", "\(printed.stdout)\(printed.stderr)")

        // Another project asking for the same host port fails, naming it.
        let rival = try Project("services:\n" + Self.web(port: port))
        let conflict = try rival.run(["up", "-d"])
        #expect(conflict.status != 0, "\(conflict.stdout)")
        #expect(conflict.stderr.contains("\(port)"), "the error names the port: \(conflict.stderr)")
        _ = try rival.run(["down", "-t", "1"])

        let down = try project.run(["down", "-t", "1"])
        #expect(down.status == 0, "\(down.stderr)")
        var released = false
        for _ in 0..<50 {
            if Self.httpGet(port: port) == nil { released = true; break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(released, "nothing listens on \(port) after down")
    }
}
