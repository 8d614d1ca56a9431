import Testing
import OCISpec
@testable import Runtime

@Suite struct CapabilitiesTests {
    @Test("podman's default set is 11 capabilities with CapEff 00000000800405fb")
    func defaultMask() throws {
        #expect(Capabilities.defaultSet.count == 11)
        #expect(try Capabilities.mask(Capabilities.defaultSet, container: "t") == 0x8004_05fb)
    }

    @Test("capability names are accepted with or without the CAP_ prefix, in any case",
          arguments: [("CAP_NET_ADMIN", UInt64(1) << 12), ("net_admin", UInt64(1) << 12), ("SYS_ADMIN", UInt64(1) << 21)])
    func names(name: String, mask: UInt64) throws {
        #expect(try Capabilities.mask([name], container: "t") == mask)
    }

    @Test("an unknown capability is rejected with its own code")
    func unknown() {
        #expect(throws: RuntimeError(.unknownCapability, "t",
                                     "unknown capability \"CAP_FLY\" (expected a name such as CAP_NET_ADMIN)")) {
            try Capabilities.mask(["CAP_FLY"], container: "t")
        }
    }
}

@Suite struct SignalsTests {
    @Test("signals parse by name, SIG name and number",
          arguments: [("TERM", Int32(15)), ("SIGKILL", 9), ("kill", 9), ("10", 10), ("HUP", 1)])
    func parse(text: String, number: Int32) throws {
        #expect(try Signals.number(text, container: "c") == number)
    }

    @Test("an unknown signal is rejected", arguments: ["FOO", "SIGFOO", "0", "65", ""])
    func unknown(text: String) {
        #expect(throws: RuntimeError.self) { try Signals.number(text, container: "c") }
    }
}

@Suite struct IDMappingTests {
    static let subuid = """
        alice:100000:65536
        1002:200000:1000
        bob:300000:0
        """

    @Test("subordinate ranges are found by user name or numeric ID; empty ranges are ignored",
          arguments: [("alice", UInt32(1000), [IDMapping.Range(start: 100000, count: 65536)]),
                      ("carol", 1002, [IDMapping.Range(start: 200000, count: 1000)]),
                      ("bob", 1003, []), ("dave", 1004, [])])
    func ranges(user: String, id: UInt32, expected: [IDMapping.Range]) {
        #expect(IDMapping.ranges(in: Self.subuid, user: user, id: id) == expected)
    }

    @Test("the rootless map puts the user at 0 and the first range from 1")
    func rootless() {
        let result = IDMapping.rootless(hostID: 1000, ranges: [.init(start: 100000, count: 65536)])
        #expect(!result.fallback)
        #expect(IDMapping.mapText(result.maps) == "0 1000 1\n1 100000 65536")
    }

    @Test("without a range only the user is mapped, and the fallback is reported")
    func fallback() {
        let result = IDMapping.rootless(hostID: 1000, ranges: [])
        #expect(result.fallback)
        #expect(IDMapping.mapText(result.maps) == "0 1000 1")
    }
}

@Suite struct MountOptionsTests {
    @Test("options split into flags, propagation and filesystem data")
    func parse() {
        let options = MountOptions(["nosuid", "noexec", "nodev", "ro", "mode=755", "size=65536k", "rslave"])
        #expect(options.flags == 1 | 2 | 4 | 8)
        #expect(options.propagation == MountOptions.slave | MountOptions.rec)
        #expect(options.data == ["mode=755", "size=65536k"])
    }

    @Test("a later option clears an earlier one", arguments: [(["ro", "rw"], UInt(0)), (["rbind", "ro"], UInt(4096 | 16384 | 1))])
    func override(options: [String], flags: UInt) {
        #expect(MountOptions(options).flags == flags)
    }
}

@Suite struct SeccompProfileTests {
    @Test("the default profile returns ENOSYS for unknown syscalls and EPERM for dangerous ones")
    func defaults() throws {
        let profile = SeccompProfile.defaultProfile(capabilities: Capabilities.defaultSet)
        #expect(profile.defaultAction == "SCMP_ACT_ERRNO")
        #expect(profile.defaultErrnoRet == 38)
        let denied = try #require(profile.syscalls?.first { $0.action == "SCMP_ACT_ERRNO" && $0.args == nil })
        #expect(denied.errnoRet == 1)
        for name in ["kexec_load", "userfaultfd", "bpf", "ptrace", "setns", "init_module"] {
            #expect(denied.names.contains(name), "\(name) should be denied without its capability")
        }
        let allowed = try #require(profile.syscalls?.first { $0.action == "SCMP_ACT_ALLOW" })
        #expect(allowed.names.contains("chroot"), "CAP_SYS_CHROOT is in the default set")
        #expect(!allowed.names.contains("setns"))
    }

    @Test("capability-dependent syscalls are allowed when the capability is held")
    func capabilityRules() throws {
        let profile = SeccompProfile.defaultProfile(capabilities: Capabilities.defaultSet + ["CAP_SYS_ADMIN", "CAP_SYS_PTRACE"])
        let allowed = try #require(profile.syscalls?.first { $0.action == "SCMP_ACT_ALLOW" })
        for name in ["bpf", "setns", "ptrace", "sethostname"] { #expect(allowed.names.contains(name)) }
    }

    @Test("the default profile compiles to a BPF program through libseccomp")
    func compiles() throws {
        let bpf = try SeccompProfile.compile(SeccompProfile.defaultProfile(capabilities: Capabilities.defaultSet), container: "t")
        #expect(bpf.count > 100 * 8)
        #expect(bpf.count % 8 == 0, "a classic BPF program is an array of 8-byte instructions")
    }

    @Test("an unknown action or operator is rejected", arguments: [
        RuntimeSpec.Seccomp(defaultAction: "SCMP_ACT_FLY"),
        RuntimeSpec.Seccomp(defaultAction: "SCMP_ACT_ALLOW", syscalls: [
            .init(names: ["read"], action: "SCMP_ACT_ERRNO", args: [.init(index: 0, value: 1, op: "SCMP_CMP_ABOUT")])]),
    ])
    func rejects(profile: RuntimeSpec.Seccomp) {
        #expect(throws: RuntimeError.self) { try SeccompProfile.compile(profile, container: "t") }
    }
}

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

import FoundationEssentials
