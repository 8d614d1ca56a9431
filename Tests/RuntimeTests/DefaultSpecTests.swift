import Testing
import OCISpec
@testable import Runtime
import FoundationEssentials

@Suite struct DefaultSpecTests {
    @Test("the default spec carries Berth's security defaults and round-trips through JSON")
    func defaults() throws {
        let spec = DefaultSpec.make(rootless: false, uidMappings: IDMapping.identity, gidMappings: IDMapping.identity)
        #expect(spec.process?.noNewPrivileges == true)
        #expect(spec.process?.capabilities?.bounding == Capabilities.defaultSet)
        #expect(spec.linux?.maskedPaths?.contains("/proc/kcore") == true)
        #expect(spec.linux?.readonlyPaths?.contains("/proc/sys") == true)
        #expect(spec.linux?.seccomp != nil)
        #expect(Set(spec.linux?.namespaces?.map(\.type) ?? []) == ["pid", "network", "ipc", "uts", "mount", "cgroup", "user"])
        let cgroup = spec.mounts?.first { $0.destination == "/sys/fs/cgroup" }
        #expect(cgroup?.type == "cgroup" && cgroup?.options?.contains("ro") == true, "the container's own cgroups, read-only")
        let data = try JSONEncoder().encode(spec)
        #expect(try JSONDecoder().decode(RuntimeSpec.self, from: data) == spec)
    }

    @Test("the rootless spec leaves out devpts gid=5, which a single-ID map cannot satisfy")
    func rootless() {
        let spec = DefaultSpec.make(rootless: true, uidMappings: [], gidMappings: [])
        let pts = spec.mounts?.first { $0.destination == "/dev/pts" }
        #expect(pts?.options?.contains("gid=5") == false)
    }
}
