import Foundation
import Testing

/// Compose networks through the `berth` binary, as root: `up -d` makes the bridges and wires
/// the containers, `down` takes the bridges away.
@Suite("up with networks", .enabled(if: ContainerFixture.unavailableReason == nil, "\(ContainerFixture.unavailableReason ?? "")"))
struct UpNetworksTests {
    /// The bridges carrying an IPv4 address in `subnet` (`10.250.7.`), as `ip` lists them.
    static func bridges(in prefix: String) throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        process.arguments = ["-o", "-4", "addr", "show"]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return text.split(separator: "\n").compactMap { line in
            let words = line.split(separator: " ")
            return words.count > 3 && words[3].hasPrefix(prefix) ? String(words[1]) : nil
        }
    }

    @Test("up -d: a service reaches another at its ipv4_address, an internal network's service reaches nothing; down removes the bridges")
    func upAndDown() throws {
        let stack = try UpDownPsTests.Stack()
        let image = "oci:\(ContainerFixture.images ?? "/nonexistent")/busybox"
        let prefix = "10.250.\(Int.random(in: 1...250))."
        let out = stack.directory + "/out"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        func fetch(_ file: String, tries: Int) -> String {
            "for i in $(busybox seq \(tries)); do busybox timeout 2 busybox wget -q -O /out/\(file) http://\(prefix)10:8080/ && exit 0; "
                + "busybox sleep 0.1; done; echo failed > /out/\(file)"
        }
        let yaml = """
            name: \(stack.project)
            services:
              web:
                image: \(image)
                command: ["sh", "-c", "mkdir -p /www && echo served > /www/index.html && exec busybox httpd -f -p 8080 -h /www"]
                networks:
                  back: {ipv4_address: \(prefix)10}
              client:
                image: \(image)
                depends_on: [web]
                command: ["sh", "-c", "\(fetch("got", tries: 30))"]
                volumes: ["\(out):/out"]
                networks: [back]
              loner:
                image: \(image)
                depends_on: [web]
                command: ["sh", "-c", "busybox ip route > /out/routes; \(fetch("loner", tries: 1))"]
                volumes: ["\(out):/out"]
                networks: [closed]
            networks:
              back:
                ipam:
                  config: [{subnet: \(prefix)0/24}]
              closed:
                internal: true
            """
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: stack.directory + "/compose.yaml"))
        let up = try stack.run(["up", "-d"])
        #expect(up.status == 0, "\(up.stderr)")
        #expect(!up.stderr.contains("no container networking"), "\(up.stderr)")
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: out + "/got") || !FileManager.default.fileExists(atPath: out + "/loner") {
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect((try? String(contentsOfFile: out + "/got", encoding: .utf8)) == "served\n")
        #expect((try? String(contentsOfFile: out + "/loner", encoding: .utf8)) == "failed\n")
        #expect(!((try? String(contentsOfFile: out + "/routes", encoding: .utf8)) ?? "default").contains("default"))
        let bridges = try Self.bridges(in: prefix)
        #expect(bridges.count == 1 && bridges.allSatisfy { $0.hasPrefix("berth-") }, "\(bridges)")

        let down = try stack.run(["down", "-t", "1"])
        #expect(down.status == 0, "\(down.stderr)")
        #expect(down.stdout.contains("Network \(stack.project)_back  Removed"), "\(down.stdout)")
        #expect(try Self.bridges(in: prefix).isEmpty, "down removed the bridge")
    }
}
