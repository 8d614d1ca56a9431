import Foundation
import Testing

/// Issue 5 through the binary, as root: every replica of a scaled service answers by the
/// service's name, and the kinds of published port PublishedPortsTests does not cover: UDP, and a
/// host port the engine picks.
@Suite("replicas, UDP and ephemeral ports", .serialized,
       .enabled(if: ContainerFixture.unavailableReason == nil, "\(ContainerFixture.unavailableReason ?? "")"))
struct ReplicasAndPortKindsTests {
    typealias Project = PublishedPortsTests.Project
    static var image: String { PublishedPortsTests.image }

    /// The addresses `nslookup NAME` lists as answers (after the first `Name:` line; before it
    /// come the server's own).
    static func answers(_ output: String) -> Set<String> {
        guard let names = output.range(of: "Name:") else { return [] }
        return Set(output[names.lowerBound...].split(separator: "\n").compactMap { line in
            guard line.hasPrefix("Address") else { return nil }
            return line.split(separator: " ").last.map(String.init)
        })
    }

    @Test("scale 3: the service's name resolves to all three replicas, and each answers with its own hostname")
    func scaledServiceByName() async throws {
        let project = try Project("""
            services:
              web:
                image: \(Self.image)
                scale: 3
                command: ["sh", "-c", "mkdir -p /www && hostname > /www/index.html && exec busybox httpd -f -p 8080 -h /www"]
            """)
        let up = try project.run(["up", "-d"])
        #expect(up.status == 0, "\(up.stderr)")

        var addresses: Set<String> = []
        var lookup = BerthBinary.Result(status: -1, stdout: "", stderr: "", seconds: 0)
        for _ in 0..<30 {
            lookup = try project.run(["exec", "-T", "web", "busybox", "nslookup", "web"])
            addresses = Self.answers(lookup.stdout)
            if addresses.count == 3 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(addresses.count == 3, "nslookup web from a replica: \(lookup.stdout)\(lookup.stderr)")

        var bodies: Set<String> = []
        for address in addresses.sorted() {
            let fetched = try project.run(["exec", "-T", "web", "busybox", "wget", "-q", "-O", "-", "http://\(address):8080/"])
            bodies.insert(fetched.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        #expect(bodies.count == 3 && !bodies.contains(""), "each replica answers with its own hostname: \(bodies)")
    }

    /// A static UDP echo server built for the test (busybox's `nc` has no UDP mode here).
    static func udpEcho(in directory: String) throws -> String {
        let source = directory + "/udpecho.c", binary = directory + "/udpecho"
        try Data("""
            #include <netinet/in.h>
            #include <stdlib.h>
            #include <sys/socket.h>
            int main(int argc, char **argv) {
                int fd = socket(AF_INET, SOCK_DGRAM, 0);
                struct sockaddr_in self = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[1])) };
                if (bind(fd, (struct sockaddr *)&self, sizeof self) < 0) return 1;
                for (;;) {
                    char buffer[2048];
                    struct sockaddr_in peer;
                    socklen_t length = sizeof peer;
                    ssize_t count = recvfrom(fd, buffer, sizeof buffer, 0, (struct sockaddr *)&peer, &length);
                    if (count > 0) sendto(fd, buffer, count, 0, (struct sockaddr *)&peer, length);
                }
            }
            """.utf8).write(to: URL(fileURLWithPath: source))
        let compiler = Process()
        compiler.executableURL = URL(fileURLWithPath: "/usr/bin/cc")
        compiler.arguments = ["-static", "-O2", "-o", binary, source]
        try compiler.run()
        compiler.waitUntilExit()
        guard compiler.terminationStatus == 0 else { throw CocoaError(.executableLoad) }
        return binary
    }

    /// What a datagram to 127.0.0.1:`port` gets back within half a second, nil when nothing.
    static func udpExchange(port: Int, _ payload: String) -> String? {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 0, tv_usec: 500_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in(sin_family: sa_family_t(AF_INET), sin_port: UInt16(port).bigEndian,
                                  sin_addr: in_addr(s_addr: UInt32(0x7f00_0001).bigEndian), sin_zero: (0, 0, 0, 0, 0, 0, 0, 0))
        let sent = Array(payload.utf8).withUnsafeBytes { bytes in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        guard sent > 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 2048)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self) : nil
    }

    @Test("a published UDP port echoes a datagram from the host, and an ephemeral TCP port is printed by port and answers")
    func udpAndEphemeralPorts() async throws {
        let udpPort = PublishedPortsTests.freePort()
        let scratch = try temporaryDirectory([:])
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/cc") else {
            Issue.record("/usr/bin/cc is missing (gcc and libc6-dev, see .ci/deps): the UDP echo server cannot be built")
            return
        }
        let echo = try Self.udpEcho(in: scratch)
        let project = try Project("""
            services:
              echo:
                image: \(Self.image)
                command: ["/udpecho", "9000"]
                volumes: ["\(echo):/udpecho:ro"]
                ports: ["127.0.0.1:\(udpPort):9000/udp"]
              web:
                image: \(Self.image)
                command: ["sh", "-c", "mkdir -p /www && echo ephemeral > /www/index.html && exec busybox httpd -f -p 8080 -h /www"]
                ports: ["8080"]
            """)
        let up = try project.run(["up", "-d"])
        #expect(up.status == 0, "\(up.stderr)")

        var echoed: String?
        for attempt in 0..<50 {
            // A new socket each time: a datagram sent before the server listened is lost.
            echoed = Self.udpExchange(port: udpPort, "datagram \(attempt)")
            if echoed != nil { break }
        }
        #expect(echoed?.hasPrefix("datagram ") == true, "127.0.0.1:\(udpPort)/udp echoed: \(echoed ?? "nothing")")

        let printed = try project.run(["port", "web", "8080"])
        let address = printed.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let hostPort = try #require(address.split(separator: ":").last.flatMap { Int($0) }, "port web 8080: \(printed.stdout)\(printed.stderr)")
        #expect(address == "0.0.0.0:\(hostPort)" && hostPort > 0, "an address on every interface: \(address)")
        var body: String?
        for _ in 0..<50 {
            body = PublishedPortsTests.httpGet(port: hostPort)
            if body?.contains("ephemeral") == true { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(body?.contains("ephemeral") == true, "GET 127.0.0.1:\(hostPort): \(body ?? "nothing answered")")
    }
}
