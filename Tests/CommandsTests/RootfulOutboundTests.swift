import Foundation
import Testing

/// Rootful outbound: a container on an ordinary network reaches a server beyond the host even when
/// the host had forwarding off, because Berth turns `net.ipv4.ip_forward` on as docker does. Run
/// in a network namespace of the test's own (`unshare -n`), whose `ip_forward` the test sets to 0:
/// the "outside" server lives in a second namespace behind a veth, so its packets must be
/// forwarded (an address on the host itself would be delivered locally, forwarding or not).
@Suite("rootful outbound", .serialized,
       .enabled(if: ContainerFixture.unavailableReason == nil, "\(ContainerFixture.unavailableReason ?? "")"))
struct RootfulOutboundTests {
    static let unavailableReason: String? = {
        for tool in ["/usr/bin/unshare", "/usr/bin/nsenter"] where !FileManager.default.isExecutableFile(atPath: tool) {
            return "\(tool) is missing (util-linux)"
        }
        if !["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].contains(where: FileManager.default.isExecutableFile(atPath:)) {
            return "ip is missing (iproute2, see .ci/deps)"
        }
        return nil
    }()

    @Test("with the host's ip_forward off, up -d turns it on and a container fetches from a server behind another interface",
          .enabled(if: unavailableReason == nil, "\(unavailableReason ?? "")"))
    func forwardingEnabled() throws {
        let directory = try temporaryDirectory([:])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory + "/out", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: directory + "/www", withIntermediateDirectories: true)
        try Data("outside\n".utf8).write(to: URL(fileURLWithPath: directory + "/www/index.html"))
        let project = "fw" + UUID().uuidString.prefix(8).lowercased()
        let yaml = """
            name: \(project)
            services:
              client:
                image: \(PublishedPortsTests.image)
                command: ["sh", "-c", "for i in $(busybox seq 50); do busybox timeout 2 busybox wget -q -O /out/got http://198.18.7.2:8080/ && exit 0; busybox sleep 0.2; done; exit 1"]
                volumes: ["\(directory)/out:/out"]
            """
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: directory + "/compose.yaml"))
        // Everything below runs inside the new namespace: the peer namespace (a `sleep` that
        // unshared its own), the veth between them, the server, berth up and down.
        let script = """
            set -u
            export PATH=/usr/sbin:/usr/bin:/sbin:/bin BERTH_DATA_DIR="$PWD/data" BERTH_RUNTIME_DIR="$PWD/run"
            ip link set lo up
            unshare -n sleep 60 & peer=$!
            for i in $(seq 100); do [ "$(readlink /proc/$peer/ns/net)" != "$(readlink /proc/self/ns/net)" ] && break; sleep 0.05; done
            ip link add bo0 type veth peer name bo1 netns $peer || exit 10
            ip addr add 198.18.7.1/24 dev bo0 && ip link set bo0 up || exit 11
            nsenter -t $peer -n sh -c 'ip link set lo up && ip addr add 198.18.7.2/24 dev bo1 && ip link set bo1 up && ip route add default via 198.18.7.1' || exit 12
            nsenter -t $peer -n busybox httpd -f -p 198.18.7.2:8080 -h "$PWD/www" & server=$!
            echo 0 > /proc/sys/net/ipv4/ip_forward || exit 13
            "$0" -p \(project) up -d > up.log 2>&1; echo $? > up.status
            for i in $(seq 150); do [ -s out/got ] && break; sleep 0.1; done
            cat /proc/sys/net/ipv4/ip_forward > forward.after
            "$0" -p \(project) down -t 0 > down.log 2>&1
            kill $server $peer
            wait
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        process.arguments = ["-n", "/bin/sh", "-c", script, BerthBinary.path]
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        let read = { (name: String) in (try? String(contentsOfFile: directory + "/" + name, encoding: .utf8)) ?? "" }
        #expect(process.terminationStatus == 0, "setting up the namespaces failed (exit \(process.terminationStatus))")
        #expect(read("up.status") == "0\n", "up -d: \(read("up.log"))")
        #expect(read("forward.after") == "1\n", "ip_forward after up: \(read("forward.after"))")
        #expect(read("out/got") == "outside\n", "the container reached 198.18.7.2:8080 through the host: \(read("up.log"))")
    }
}
