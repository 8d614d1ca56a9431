import Testing
import OCISpec
@testable import Runtime

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
