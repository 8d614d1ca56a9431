import Foundation
import OCISpec
import Testing

/// The cgroup namespace and /sys/fs/cgroup inside the container: the container is placed in its
/// cgroups before it unshares the namespace, so /proc/self/cgroup shows "/" in every hierarchy,
/// and /sys/fs/cgroup, read-only, shows the container's own cgroups, never the host's tree.
struct ContainerCgroupNamespaceTests {
    /// What the container reports about its cgroups, section by section.
    static let script = """
        cat /proc/self/cgroup; echo ---
        grep ' /sys/fs/cgroup' /proc/self/mountinfo; echo ---
        for d in /sys/fs/cgroup/*; do echo "$d: $(ls $d | grep -c -e berth-tests -e libpod_parent)"; done; echo ---
        cat /sys/fs/cgroup/pids/cgroup.procs /sys/fs/cgroup/unified/cgroup.procs 2>/dev/null; echo ---
        if echo 5 > /sys/fs/cgroup/pids/pids.max 2>/dev/null || mkdir /sys/fs/cgroup/x 2>/dev/null; then echo writable; else echo read-only; fi
        """

    static func sections(_ output: String) -> [[String]] {
        output.components(separatedBy: "---\n").map { $0.split(separator: "\n").map(String.init) }
    }

    func check(_ area: Fixture.Area, ownV1: Bool) throws {
        try area.setArgs(["sh", "-c", Self.script])
        let result = try area.berthRun(["run", "--bundle", area.bundle, "cgroupns"])
        #expect(result.status == 0, "\(result.stderr)")
        let parts = Self.sections(result.stdout)
        try #require(parts.count == 5, "\(result.stdout)")
        #expect(!parts[0].isEmpty && parts[0].allSatisfy { $0.hasSuffix(":/") }, "/proc/self/cgroup: \(parts[0])")
        #expect(parts[1].contains { $0.contains(" /sys/fs/cgroup ") }, "a mount on /sys/fs/cgroup: \(parts[1])")
        #expect(parts[1].filter { $0.contains(" /sys/fs/cgroup") }.allSatisfy { $0.contains(" ro,") || $0.contains(" ro ") },
                "every cgroup mount is read-only: \(parts[1])")
        // Hierarchy by hierarchy, no directory of the host's root (where the tests' cgroups are).
        #expect(parts[2].allSatisfy { $0.hasSuffix(": 0") }, "the host's tree shows through: \(parts[2])")
        if ownV1 {
            // The container's own cgroups: their process lists hold its PID 1, in its PID namespace.
            #expect(parts[3].contains("1"), "\(parts[3])")
            #expect(parts[2].contains { $0.hasPrefix("/sys/fs/cgroup/memory:") }, "\(parts[2])")
        }
        #expect(parts[4] == ["read-only"])
    }

    @Test("as root, the container sees only its own cgroups, read-only, and /proc/self/cgroup shows /",
          .enabled(if: Fixture.unavailableReason == nil, "\(Fixture.unavailableReason ?? "")"))
    func rootful() throws {
        let area = try Fixture.Area()
        defer { area.remove() }
        try check(area, ownV1: true)
    }

    @Test("rootless (no cgroup of its own on a hybrid host), the container sees no host cgroup tree and /proc/self/cgroup shows /",
          .enabled(if: Fixture.rootlessUnavailableReason == nil, "\(Fixture.rootlessUnavailableReason ?? "")"))
    func rootless() throws {
        let area = try Fixture.Area(rootless: "berth-test")
        defer { area.remove() }
        try check(area, ownV1: false)
    }

    @Test("without a cgroup namespace in the spec, the container's cgroups are bind-mounted and the host's tree stays hidden",
          .enabled(if: Fixture.unavailableReason == nil, "\(Fixture.unavailableReason ?? "")"))
    func noNamespace() throws {
        let area = try Fixture.Area()
        defer { area.remove() }
        try area.edit { $0.linux?.namespaces?.removeAll { $0.type == "cgroup" } }
        try area.setArgs(["sh", "-c", Self.script])
        let result = try area.berthRun(["run", "--bundle", area.bundle, "nocgroupns"])
        #expect(result.status == 0, "\(result.stderr)")
        let parts = Self.sections(result.stdout)
        try #require(parts.count == 5, "\(result.stdout)")
        // Without the namespace /proc/self/cgroup shows host paths: the container's own cgroup.
        #expect(parts[0].contains { $0.contains(":pids:/berth-tests/") }, "\(parts[0])")
        #expect(parts[2].allSatisfy { $0.hasSuffix(": 0") }, "\(parts[2])")
        #expect(parts[4] == ["read-only"])
    }
}
