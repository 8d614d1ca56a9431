import Foundation
import OCISpec
import Testing
@testable import Runtime

/// `linux.sysctl`: namespaced keys written inside the container, as root and rootless, and the
/// rest refused before anything runs.
struct ContainerSysctlTests {
    /// One sysctl from each namespace Berth allows, each set to a value that differs from the
    /// kernel's default, and where the probe reads it back.
    static let sysctls: [String: String] = [
        "net.ipv4.ip_unprivileged_port_start": "80",
        "kernel.msgmax": "16384",
        "fs.mqueue.msg_max": "20",
        "kernel.domainname": "berth.test",
    ]

    static func expectApplied(_ area: Fixture.Area, container: String) throws {
        try area.edit {
            $0.linux?.sysctl = Self.sysctls
            $0.process?.args = ["/probe"] + Self.sysctls.keys.sorted().map { "file:" + (Sysctl.path(of: $0) ?? "") }
        }
        let result = try area.berthRun(["run", "--bundle", area.bundle, container])
        #expect(result.status == 0, "\(result.stderr)")
        let facts = probeFacts(result.stdout)
        for (key, value) in Self.sysctls {
            #expect(facts["file " + (Sysctl.path(of: key) ?? "")] == value + ";", "\(key) in \(result.stdout)")
        }
    }

    /// Which keys are namespaced, and where they live under /proc/sys (no kernel needed).
    @Suite struct Keys {
        @Test("a key maps to its namespace and its /proc/sys file; dots in slash form stay in the name",
              arguments: [
                  ("net.ipv4.ip_forward", "network", "/proc/sys/net/ipv4/ip_forward"),
                  ("net/ipv4/conf/eth0.100/forwarding", "network", "/proc/sys/net/ipv4/conf/eth0.100/forwarding"),
                  ("kernel.shmmax", "ipc", "/proc/sys/kernel/shmmax"),
                  ("kernel.sem", "ipc", "/proc/sys/kernel/sem"),
                  ("kernel.msgmnb", "ipc", "/proc/sys/kernel/msgmnb"),
                  ("fs.mqueue.queues_max", "ipc", "/proc/sys/fs/mqueue/queues_max"),
                  ("kernel.domainname", "uts", "/proc/sys/kernel/domainname"),
                  ("kernel.hostname", nil, "/proc/sys/kernel/hostname"),
                  ("kernel.semaphores", nil, "/proc/sys/kernel/semaphores"),
                  ("fs.file-max", nil, "/proc/sys/fs/file-max"),
                  ("net..x", "network", nil),
                  ("net/../kernel/panic", "network", nil),
              ] as [(String, String?, String?)])
        func keys(key: String, namespace: String?, path: String?) {
            #expect(Sysctl.namespace(of: key) == namespace)
            #expect(Sysctl.path(of: key) == path)
        }
    }

    @Suite(.enabled(if: Fixture.unavailableReason == nil, "\(Fixture.unavailableReason ?? "")"))
    struct Root {
        @Test("as root, net.*, ipc and uts sysctls are set in the container's own namespaces and the host's stay unchanged")
        func applied() throws {
            let area = try Fixture.Area()
            defer { area.remove() }
            let hostBefore = try String(contentsOfFile: "/proc/sys/net/ipv4/ip_unprivileged_port_start", encoding: .utf8)
            try ContainerSysctlTests.expectApplied(area, container: "sysctl")
            #expect(try String(contentsOfFile: "/proc/sys/net/ipv4/ip_unprivileged_port_start", encoding: .utf8) == hostBefore)
        }

        @Test("a sysctl that is not namespaced, or whose namespace is the host's, is refused with its key named",
              arguments: [
                  ("kernel.panic", "1", "network", "\"kernel.panic\" is not namespaced"),
                  ("vm.swappiness", "10", "network", "\"vm.swappiness\" is not namespaced"),
                  ("net.ipv4.ip_forward", "1", "network", "\"net.ipv4.ip_forward\" needs a private network namespace"),
                  ("kernel.shmmax", "4096", "ipc", "\"kernel.shmmax\" needs a private ipc namespace"),
                  ("net..ip_forward", "1", "", "malformed key \"net..ip_forward\""),
              ])
        func refused(key: String, value: String, dropNamespace: String, message: String) throws {
            let area = try Fixture.Area()
            defer { area.remove() }
            try area.edit {
                $0.linux?.sysctl = [key: value]
                $0.linux?.namespaces?.removeAll { $0.type == dropNamespace }
                $0.process?.args = ["true"]
            }
            let result = try area.berthRun(["run", "--bundle", area.bundle, "refused"])
            #expect(result.status != 0)
            #expect(result.stderr.contains("linux.sysctl: " + message), "\(result.stderr)")
            #expect(area.stateEntries.isEmpty, "nothing was created")
        }

        @Test("a network namespace joined by a path that names the host's is not private")
        func joinedHostNamespace() throws {
            let area = try Fixture.Area()
            defer { area.remove() }
            try area.edit {
                $0.linux?.sysctl = ["net.ipv4.ip_forward": "1"]
                let namespaces = $0.linux?.namespaces ?? []
                $0.linux?.namespaces = namespaces.map { $0.type == "network" ? .init(type: "network", path: "/proc/self/ns/net") : $0 }
                $0.process?.args = ["true"]
            }
            let result = try area.berthRun(["run", "--bundle", area.bundle, "joined"])
            #expect(result.status != 0)
            #expect(result.stderr.contains("needs a private network namespace"), "\(result.stderr)")
        }
    }

    @Suite(.enabled(if: Fixture.rootlessUnavailableReason == nil, "\(Fixture.rootlessUnavailableReason ?? "")"))
    struct Rootless {
        @Test("rootless, the container's root sets the sysctls of the namespaces its user namespace owns")
        func applied() throws {
            let area = try Fixture.Area(rootless: "berth-test")
            defer { area.remove() }
            try ContainerSysctlTests.expectApplied(area, container: "sysctl")
        }
    }
}
