import Foundation
@testable import Supervisor
import Testing

@Suite("resident memory")
struct ResidentMemoryTests {
    static let smaps = """
    55d0a0000000-55d0a0100000 r--p 00000000 fe:00 100 /usr/bin/berth
    Size:               1024 kB
    Rss:                 512 kB
    Anonymous:             0 kB
    55d0a0100000-55d0a0900000 r-xp 00100000 fe:00 100 /usr/bin/berth
    Rss:                8192 kB
    Anonymous:             0 kB
    55d0a0900000-55d0a0a00000 r--p 00900000 fe:00 100 /usr/bin/berth
    Rss:                 700 kB
    Anonymous:           300 kB
    55d0a0a00000-55d0a0b00000 rw-p 00a00000 fe:00 100 /usr/bin/berth
    Rss:                 100 kB
    Anonymous:           100 kB
    7f0000000000-7f0000100000 r--s 00000000 fe:00 200 /var/lib/berth/state.db-shm
    Rss:                  64 kB
    Anonymous:             0 kB
    7f0000100000-7f0000200000 rw-p 00000000 00:00 0
    Rss:                  80 kB
    Anonymous:            80 kB
    7f0000200000-7f0000300000 r-xp 00000000 fe:00 300 /usr/lib/lib with space.so
    Rss:                  64 kB
    Anonymous:             0 kB
    7ffd00000000-7ffd00002000 r-xp 00000000 00:00 0                          [vdso]
    Rss:                   8 kB
    Anonymous:             0 kB
    """

    @Test("smaps: private read-only file mappings are candidates with their Rss and Anonymous; writable, shared and anonymous ones are not")
    func parse() {
        let mappings = ResidentMemory.parseSmaps(Self.smaps)
        #expect(mappings.map(\.start) == [0x55d0a0000000, 0x55d0a0100000, 0x55d0a0900000, 0x7f0000200000])
        #expect(mappings.map(\.residentKiB) == [512, 8192, 700, 64])
        // The relocated (RELRO) part has copy-on-write pages: the trim leaves it alone.
        #expect(mappings.map(\.anonymousKiB) == [0, 0, 300, 0])
        #expect(mappings[1].end - mappings[1].start == 0x800000)
    }

    @Test("a trim unmaps this process's resident code pages, and the process runs on, mapping back only what it touches")
    func trim() throws {
        let before = try #require(ResidentMemory.current())
        let trim = ResidentMemory.trimFileMappings()
        let after = try #require(ResidentMemory.current())
        #expect(trim.mappings > 0)
        #expect(trim.unmappedKiB > 0)
        // Other tests run in this process meanwhile and map some back, never all of it.
        #expect(after.file < before.file, "file pages \(before.file) KiB before, \(after.file) KiB after")
        // Code keeps working after its pages went: Foundation, the runtime, this test.
        let text = (1...1000).map(String.init).joined(separator: ",")
        #expect(text.split(separator: ",").count == 1000)
        #expect(try JSONDecoder().decode([Int].self, from: Data("[1,2,3]".utf8)) == [1, 2, 3])
    }
}
