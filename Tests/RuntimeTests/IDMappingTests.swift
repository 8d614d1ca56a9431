import Testing
import OCISpec
@testable import Runtime

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
