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

/// The same through the binary as the unprivileged `berth-test` user: the bridges live in the
/// per-user network namespace, which `down` ends.
@Suite("up with networks, rootless")
struct UpNetworksRootlessTests {
    static let user = "berth-test"

    static let unavailableReason: String? = {
        if let reason = ContainerFixture.unavailableReason { return reason }
        guard getpwnam(user) != nil else { return "no \(user) user (.ci/deps creates it)" }
        let subuid = (try? String(contentsOfFile: "/etc/subuid", encoding: .utf8)) ?? ""
        if !subuid.contains(user + ":") { return "\(user) has no /etc/subuid range (.ci/deps adds it)" }
        if !FileManager.default.isExecutableFile(atPath: "/usr/bin/newuidmap") { return "newuidmap is missing (uidmap package)" }
        return nil
    }()

    /// Runs `command` as the user, in `directory`, with the engine's directories under it.
    static func run(_ arguments: [String], in directory: String) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
        process.arguments = ["-u", user, "--", "/usr/bin/env", "BERTH_DATA_DIR=\(directory)/data", "HOME=\(directory)",
                             "XDG_RUNTIME_DIR=\(directory)/xdg", "/bin/sh", "-c",
                             "cd \"$0\" && exec \"$@\" >> out.log 2>&1", directory] + arguments
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    @Test("as an unprivileged user: up -d wires two services on a network, one finds the other by name, the host reaches a published port, down ends the per-user namespace",
          .enabled(if: unavailableReason == nil, "\(unavailableReason ?? "")"))
    func rootlessUpAndDown() throws {
        let directory = try temporaryDirectory([:])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let products = URL(fileURLWithPath: BerthBinary.path).deletingLastPathComponent().path
        for name in ["berth", "berth-init"] {
            try copyExecutable(products + "/" + name, to: directory + "/" + name)
        }
        try FileManager.default.createDirectory(atPath: directory + "/out", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: directory + "/xdg", withIntermediateDirectories: true)
        let image = "oci:\(ContainerFixture.images ?? "/nonexistent")/busybox"
        let project = "rl" + UUID().uuidString.prefix(8).lowercased()
        let port = PublishedPortsTests.freePort()
        let yaml = """
            name: \(project)
            services:
              web:
                image: \(image)
                command: ["sh", "-c", "mkdir -p /www && echo served > /www/index.html && exec busybox httpd -f -p 8080 -h /www"]
                ports: ["127.0.0.1:\(port):8080"]
                networks:
                  back: {ipv4_address: 10.251.3.10}
              client:
                image: \(image)
                depends_on: [web]
                command: ["sh", "-c", "for i in $(busybox seq 30); do busybox timeout 2 busybox wget -q -O /out/got http://web:8080/ && exit 0; busybox sleep 0.1; done"]
                volumes: ["\(directory)/out:/out"]
                networks: [back]
            networks:
              back:
                ipam:
                  config: [{subnet: 10.251.3.0/24}]
            """
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: directory + "/compose.yaml"))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/chown")
        process.arguments = ["-R", Self.user, directory]
        try process.run()
        process.waitUntilExit()

        let up = try Self.run(["./berth", "up", "-d"], in: directory)
        let log = { (try? String(contentsOfFile: directory + "/out.log", encoding: .utf8)) ?? "" }
        #expect(up == 0, "\(log())")
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: directory + "/out/got") { Thread.sleep(forTimeInterval: 0.1) }
        Thread.sleep(forTimeInterval: 0.1)
        #expect((try? String(contentsOfFile: directory + "/out/got", encoding: .utf8)) == "served\n", "\(log())")
        var page: String?
        for _ in 0..<50 {
            page = PublishedPortsTests.httpGet(port: port)
            if page?.contains("served") == true { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(page?.contains("served") == true, "the host reaches 127.0.0.1:\(port): \(page ?? "nothing answered")\n\(log())")
        let pidFile = directory + "/xdg/berth/netns/netns.pid"
        let holder = (try? String(contentsOfFile: pidFile, encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        #expect(holder != nil, "the per-user namespace runs")

        let down = try Self.run(["./berth", "down", "-t", "1"], in: directory)
        #expect(down == 0, "\(log())")
        if let holder {
            for _ in 0..<50 where kill(holder, 0) == 0 { Thread.sleep(forTimeInterval: 0.05) }
            #expect(kill(holder, 0) != 0, "down ended the per-user namespace")
        }
    }
}
