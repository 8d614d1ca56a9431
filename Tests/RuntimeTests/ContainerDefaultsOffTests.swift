import Foundation
import Runtime
import Testing

/// The defaults are the spec's to turn off: privileged-style specs and seccomp=unconfined.
@Suite(.enabled(if: Fixture.unavailableReason == nil, "\(Fixture.unavailableReason ?? "")"))
struct ContainerDefaultsOffTests {
    @Test("without linux.seccomp, masks and no_new_privs, and with every capability, the container gets exactly that")
    func privileged() throws {
        let area = try Fixture.Area()
        defer { area.remove() }
        try area.edit {
            $0.process?.args = ["/probe"]
            $0.process?.noNewPrivileges = false
            let all = Runtime.Capabilities.names
            $0.process?.capabilities = .init(bounding: all, effective: all, inheritable: nil, permitted: all, ambient: nil)
            $0.linux?.seccomp = nil
            $0.linux?.maskedPaths = nil
            $0.linux?.readonlyPaths = nil
        }
        let result = try area.berthRun(["run", "--bundle", area.bundle, "privileged"])
        #expect(result.status == 0, "\(result.stderr)")
        let facts = probeFacts(result.stdout)
        #expect(facts["Seccomp"] == "0")
        #expect(facts["NoNewPrivs"] == "0")
        #expect(facts["CapEff"] == String(format: "%016llx", (UInt64(1) << UInt64(Runtime.Capabilities.names.count)) - 1))
        #expect(facts["timer_list"] != "", "not masked")
        #expect(facts["add_key"] != "-1 38", "no seccomp filter answers ENOSYS")
    }
}
