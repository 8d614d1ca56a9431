import Testing
import OCISpec
@testable import Runtime

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
