import Foundation
import Testing

/// Issue 5, "`internal` network with no way out", through the binary as root: a service on an
/// internal network cannot reach another project's published port on the host's address, while
/// a service on an ordinary network of the same project can.
@Suite("internal networks", .serialized,
       .enabled(if: ContainerFixture.unavailableReason == nil, "\(ContainerFixture.unavailableReason ?? "")"))
struct InternalNetworkTests {
    /// The host's first global IPv4 address outside Berth's bridges, as `ip` lists it.
    static func hostAddress() throws -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        process.arguments = ["-o", "-4", "addr", "show", "scope", "global"]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return text.split(separator: "\n").lazy.compactMap { line -> String? in
            let words = line.split(separator: " ")
            guard words.count > 3, !words[1].hasPrefix("berth-"), words[2] == "inet" else { return nil }
            return words[3].split(separator: "/").first.map(String.init)
        }.first
    }

    @Test("a service on an internal network cannot reach another project's published port on the host; one on an ordinary network can")
    func noWayOut() async throws {
        let host = try #require(try Self.hostAddress(), "this host has no global IPv4 address to publish on")
        let port = PublishedPortsTests.freePort()
        let server = try PublishedPortsTests.Project("""
            services:
              web:
                image: \(PublishedPortsTests.image)
                command: ["sh", "-c", "mkdir -p /www && echo served > /www/index.html && exec busybox httpd -f -p 8080 -h /www"]
                ports: ["\(port):8080"]
            """)
        let served = try server.run(["up", "-d"])
        #expect(served.status == 0, "\(served.stderr)")

        let out = server.directory + "/out"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        func fetch(_ file: String, tries: Int) -> String {
            "for i in $$(busybox seq \(tries)); do busybox timeout 1 busybox wget -q -O /out/\(file) http://\(host):\(port)/ && exit 0; "
                + "busybox sleep 0.2; done; echo failed > /out/\(file)"
        }
        let clients = try PublishedPortsTests.Project("""
            services:
              open:
                image: \(PublishedPortsTests.image)
                command: ["sh", "-c", "\(fetch("open", tries: 30))"]
                volumes: ["\(out):/out"]
              sealed:
                image: \(PublishedPortsTests.image)
                command: ["sh", "-c", "\(fetch("sealed", tries: 3))"]
                volumes: ["\(out):/out"]
                networks: [inside]
            networks:
              inside:
                internal: true
            """)
        let up = try clients.run(["up", "-d"])
        #expect(up.status == 0, "\(up.stderr)")
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: out + "/open") || !FileManager.default.fileExists(atPath: out + "/sealed") {
            try await Task.sleep(for: .milliseconds(100))
        }
        try await Task.sleep(for: .milliseconds(100))
        #expect((try? String(contentsOfFile: out + "/open", encoding: .utf8)) == "served\n", "an ordinary network reaches \(host):\(port)")
        #expect((try? String(contentsOfFile: out + "/sealed", encoding: .utf8)) == "failed\n", "an internal network reaches nothing outside")
    }
}
