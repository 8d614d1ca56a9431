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
