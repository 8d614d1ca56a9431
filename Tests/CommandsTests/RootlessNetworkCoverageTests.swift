import Foundation
import Testing

/// Issue 5's list "as an unprivileged user", through the binary as `berth-test` (the rootful
/// halves are in PublishedPortsTests, ReplicasAndPortKindsTests, InternalNetworkTests,
/// PortConflictTests and UpNetworksTests): an alias, every replica of a scaled service, a
/// published TCP and UDP port from the host, an internal network with no way out, two networks
/// isolated, `network_mode: service:` sharing localhost, and a port conflict. One stack for all
/// but the conflict, so the suite costs one rootless `up`.
@Suite("rootless networks through the binary", .serialized,
       .enabled(if: UpNetworksRootlessTests.unavailableReason == nil, "\(UpNetworksRootlessTests.unavailableReason ?? "")"))
struct RootlessNetworkCoverageTests {
    /// A directory owned by the user with `berth` and `berth-init` copied in, removed (after a
    /// `down`) on release.
    final class Area {
        let directory: String
        let project = "rc" + UUID().uuidString.prefix(8).lowercased()

        init(files: [String: Data] = [:]) throws {
            directory = try temporaryDirectory(files)
            let products = URL(fileURLWithPath: BerthBinary.path).deletingLastPathComponent().path
            for name in ["berth", "berth-init"] { try copyExecutable(products + "/" + name, to: directory + "/" + name) }
            try FileManager.default.createDirectory(atPath: directory + "/xdg", withIntermediateDirectories: true)
        }

        /// Hands the directory to the user (after the test wrote its files).
        func chown() throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/chown")
            process.arguments = ["-R", UpNetworksRootlessTests.user, directory]
            try process.run()
            process.waitUntilExit()
        }

        deinit {
            _ = try? berth(["down", "-t", "0"])
            try? FileManager.default.removeItem(atPath: directory)
        }

        /// `./berth -p PROJECT ARGUMENTS…` as the user; its output in files, not pipes (a
        /// supervisor it starts outlives it).
        func berth(_ arguments: [String]) throws -> BerthBinary.Result {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
            process.arguments = ["-u", UpNetworksRootlessTests.user, "--", "/usr/bin/env", "BERTH_DATA_DIR=\(directory)/data",
                                 "HOME=\(directory)", "XDG_RUNTIME_DIR=\(directory)/xdg", "/bin/sh", "-c",
                                 "cd \"$0\" && exec ./berth \"$@\" > cmd.out 2> cmd.err < /dev/null", directory, "-p", project] + arguments
            let start = Date()
            try process.run()
            process.waitUntilExit()
            let read = { (name: String) in (try? String(contentsOfFile: self.directory + "/" + name, encoding: .utf8)) ?? "" }
            return BerthBinary.Result(status: process.terminationStatus, stdout: read("cmd.out"), stderr: read("cmd.err"),
                                      seconds: Date().timeIntervalSince(start))
        }

        /// `exec -T SERVICE sh -c SCRIPT` until `done` accepts its output or `attempts` ran out.
        func exec(_ service: String, _ script: String, attempts: Int = 30,
                  until done: (BerthBinary.Result) -> Bool) throws -> BerthBinary.Result {
            var result = BerthBinary.Result(status: -1, stdout: "", stderr: "", seconds: 0)
            for _ in 0..<attempts {
                result = try berth(["exec", "-T", service, "sh", "-c", script])
                if done(result) { break }
                Thread.sleep(forTimeInterval: 0.1)
            }
            return result
        }
    }

    static var image: String { PublishedPortsTests.image }
    static let sleeper = #"["sh", "-c", "trap 'exit 0' TERM; sleep 86400 & wait"]"#

    @Test("as an unprivileged user: an alias, every replica of a scaled service, published TCP and UDP ports, an internal network with no way out, two networks isolated, and service: sharing localhost")
    func rootlessNetworkList() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/cc") else {
            Issue.record("/usr/bin/cc is missing (gcc and libc6-dev, see .ci/deps): the UDP echo server cannot be built")
            return
        }
        let area = try Area()
        let echo = try ReplicasAndPortKindsTests.udpEcho(in: area.directory)
        let tcpPort = PublishedPortsTests.freePort()
        var udpPort = PublishedPortsTests.freePort()
        while udpPort == tcpPort { udpPort = PublishedPortsTests.freePort() }
        let yaml = """
            services:
              web:
                image: \(Self.image)
                scale: 3
                command: ["sh", "-c", "mkdir -p /www && hostname > /www/index.html && exec busybox httpd -f -p 8080 -h /www"]
                networks:
                  front: {aliases: [frontend]}
              solo:
                image: \(Self.image)
                command: ["sh", "-c", "mkdir -p /www && echo solo > /www/index.html && exec busybox httpd -f -p 8081 -h /www"]
                ports: ["\(tcpPort):8081"]
                networks:
                  back: {ipv4_address: 10.252.4.10}
              sidecar:
                image: \(Self.image)
                network_mode: "service:solo"
                command: \(Self.sleeper)
              echo:
                image: \(Self.image)
                command: ["/udpecho", "9000"]
                volumes: ["\(echo):/udpecho:ro"]
                ports: ["127.0.0.1:\(udpPort):9000/udp"]
                networks: [front]
              probe:
                image: \(Self.image)
                command: \(Self.sleeper)
                networks: [front]
              sealed:
                image: \(Self.image)
                command: \(Self.sleeper)
                networks: [inside]
            networks:
              front: {}
              back:
                ipam:
                  config: [{subnet: 10.252.4.0/24}]
              inside: {internal: true}
            """
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: area.directory + "/compose.yaml"))
        try area.chown()
        let up = try area.berth(["up", "-d"])
        try #require(up.status == 0, "up -d: \(up.stderr)")

        // Every replica by the service's name, each answering with its own hostname.
        let lookup = try area.exec("probe", "busybox nslookup web") { ReplicasAndPortKindsTests.answers($0.stdout).count == 3 }
        let replicas = ReplicasAndPortKindsTests.answers(lookup.stdout)
        #expect(replicas.count == 3, "nslookup web from probe: \(lookup.stdout)\(lookup.stderr)")
        // One exec for every replica and the alias (each exec is a rootless process start).
        let fetches = replicas.sorted().map { "busybox wget -q -O - http://\($0):8080/" } + ["echo alias: $(busybox wget -q -O - http://frontend:8080/)"]
        let fetched = try area.exec("probe", fetches.joined(separator: "; ")) { $0.stdout.split(separator: "\n").count == 4 }
        let lines = fetched.stdout.split(separator: "\n").map(String.init)
        let hostnames = Set(lines.filter { !$0.hasPrefix("alias:") })
        #expect(hostnames.count == 3, "each replica answers with its own hostname: \(fetched.stdout)\(fetched.stderr)")
        let alias = lines.first { $0.hasPrefix("alias:") }?.dropFirst("alias:".count).trimmingCharacters(in: .whitespaces) ?? ""
        #expect(hostnames.contains(alias), "frontend (alias of web) answers as one of its replicas: \(fetched.stdout)\(fetched.stderr)")

        // service:solo shares solo's localhost.
        let local = try area.exec("sidecar", "busybox wget -q -O - http://127.0.0.1:8081/") { $0.stdout == "solo\n" }
        #expect(local.stdout == "solo\n", "sidecar on 127.0.0.1:8081: \(local.stdout)\(local.stderr)")

        // Published TCP and UDP ports from the host.
        var page: String?
        for _ in 0..<50 {
            page = PublishedPortsTests.httpGet(port: tcpPort)
            if page?.contains("solo") == true { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(page?.contains("solo") == true, "127.0.0.1:\(tcpPort): \(page ?? "nothing answered")")
        var echoed: String?
        for attempt in 0..<50 {
            echoed = ReplicasAndPortKindsTests.udpExchange(port: udpPort, "datagram \(attempt)")
            if echoed != nil { break }
        }
        #expect(echoed?.hasPrefix("datagram ") == true, "127.0.0.1:\(udpPort)/udp echoed: \(echoed ?? "nothing")")

        // Two networks isolated: probe (front) does not reach solo (back) at its address, which
        // the host does reach through the published port above.
        let crossing = try area.berth(["exec", "-T", "probe", "sh", "-c",
                                       "busybox timeout 2 busybox wget -q -O - http://10.252.4.10:8081/ && echo reached || echo blocked"])
        #expect(crossing.stdout.contains("blocked") && !crossing.stdout.contains("solo"), "front to back: \(crossing.stdout)\(crossing.stderr)")

        // Internal: no default route, and neither another network nor the host is reachable,
        // where a container of an ordinary network reaches the host (with slirp4netns).
        let host = Self.hostAddress() ?? "192.0.2.1"
        if ["/usr/bin/slirp4netns", "/usr/sbin/nft", "/usr/bin/nsenter"].allSatisfy(FileManager.default.isExecutableFile(atPath:)) {
            let out = try area.exec("probe", "busybox timeout 3 busybox wget -q -O - http://\(host):\(tcpPort)/") { $0.stdout == "solo\n" }
            #expect(out.stdout == "solo\n", "probe reaches the host's \(host):\(tcpPort) through slirp4netns: \(out.stdout)\(out.stderr)")
        }
        let sealed = try area.berth(["exec", "-T", "sealed", "sh", "-c",
                                     "busybox ip route; for to in 10.252.4.10:8081 \(host):\(tcpPort); do "
                                     + "busybox timeout 3 busybox wget -q -O /dev/null http://$to/ && echo reached $to || echo blocked $to; done"])
        #expect(sealed.status == 0 && !sealed.stdout.contains("default"), "an internal network has no default route: \(sealed.stdout)\(sealed.stderr)")
        #expect(!sealed.stdout.contains("reached") && sealed.stdout.components(separatedBy: "blocked").count == 3,
                "nothing outside its network answers: \(sealed.stdout)\(sealed.stderr)")

        let down = try area.berth(["down", "-t", "0"])
        #expect(down.status == 0, "down: \(down.stderr)")
    }

    @Test("as an unprivileged user: up -d fails naming a published port another process holds, and creates nothing")
    func rootlessPortConflict() throws {
        let port = PublishedPortsTests.freePort()
        let area = try Area(files: ["compose.yaml": Data("services:\n\(PublishedPortsTests.web(port: port))\n".utf8)])
        try area.chown()
        let listener = try #require(PortConflictTests.Listener(port: port), "bind 127.0.0.1:\(port)")
        let up = try area.berth(["up", "-d"])
        #expect(up.status == 1, "up -d with port \(port) taken: \(up.stdout)\(up.stderr)")
        #expect(up.stderr.contains("port \(port)/tcp is already in use"), "the error names the port: \(up.stderr)")
        let ps = try area.berth(["ps", "-a", "-q"])
        #expect(ps.status == 0 && ps.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "no container was created: \(ps.stdout)\(ps.stderr)")
        #expect(!FileManager.default.fileExists(atPath: area.directory + "/xdg/berth/netns/netns.pid"),
                "no per-user namespace was started for it")
        withExtendedLifetime(listener) {}
    }

    static let ipv6Unavailable: String? = {
        if !FileManager.default.fileExists(atPath: "/proc/sys/net/ipv6") { return "this kernel has IPv6 disabled (no /proc/sys/net/ipv6)" }
        for tool in ["/usr/bin/slirp4netns", "/usr/sbin/nft", "/usr/bin/nsenter"] where !FileManager.default.isExecutableFile(atPath: tool) {
            return "\(tool) is missing: no rootless way out (slirp4netns, nftables, util-linux in .ci/deps)"
        }
        return nil
    }()

    /// slirp4netns's own address on its fd00::/64 (its "host", which answers ICMPv6 echo itself;
    /// connections to it would go to the host's loopback, which Berth forbids).
    static let slirpGateway6 = "fd00::2"

    @Test("as an unprivileged user: a container of an enable_ipv6 network has an IPv6 default route and reaches slirp4netns over IPv6",
          .enabled(if: ipv6Unavailable == nil, "\(ipv6Unavailable ?? "")"))
    func rootlessIPv6Outbound() throws {
        let area = try Area()
        let yaml = """
            services:
              six:
                image: \(Self.image)
                cap_add: [NET_RAW]
                command: \(Self.sleeper)
                networks: [v6]
            networks:
              v6:
                enable_ipv6: true
            """
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: area.directory + "/compose.yaml"))
        try area.chown()
        let up = try area.berth(["up", "-d"])
        try #require(up.status == 0, "up -d: \(up.stderr)")
        // tap0's IPv6 address and route come from slirp's router advertisement (and duplicate
        // address detection) after the namespace is up: retried for up to about ten seconds.
        let ping = try area.exec("six", "busybox ip -6 route; busybox ping -6 -c 1 -W 1 \(Self.slirpGateway6)", attempts: 40) {
            $0.status == 0
        }
        #expect(ping.stdout.contains("default via"), "an IPv6 default route: \(ping.stdout)\(ping.stderr)")
        #expect(ping.status == 0 && ping.stdout.contains("1 packets received"),
                "ping -6 \(Self.slirpGateway6) through the per-user namespace and slirp4netns: \(ping.stdout)\(ping.stderr)")
        let down = try area.berth(["down", "-t", "0"])
        #expect(down.status == 0, "down: \(down.stderr)")
    }

    /// The host's first non-loopback IPv4 address (outside every rootless network).
    static func hostAddress() -> String? {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return nil }
        defer { freeifaddrs(list) }
        var entry = list
        while let current = entry {
            defer { entry = current.pointee.ifa_next }
            guard let address = current.pointee.ifa_addr, address.pointee.sa_family == sa_family_t(AF_INET),
                  current.pointee.ifa_flags & UInt32(IFF_LOOPBACK) == 0 else { continue }
            let value = UInt32(bigEndian: address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr.s_addr })
            let text = [24, 16, 8, 0].map { String((value >> UInt32($0)) & 0xff) }.joined(separator: ".")
            if !text.hasPrefix("10.89.") { return text }
        }
        return nil
    }
}
