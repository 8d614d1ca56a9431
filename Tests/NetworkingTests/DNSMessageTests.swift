import Testing
@testable import Networking

@Suite("DNS messages")
struct DNSMessageTests {
    /// A response as dig sees one from a resolver: `example.org A` with a compressed answer name
    /// (0xc00c points at the question's name).
    static let compressedResponse: [UInt8] = [
        0xab, 0xcd, 0x81, 0x80, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
        0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x03, 0x6f, 0x72, 0x67, 0x00, 0x00, 0x01, 0x00, 0x01,
        0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x04, 0x5d, 0xb8, 0xd7, 0x0e,
        // a CNAME whose target `www.example.org` is `www` + a pointer to the question's name
        0xc0, 0x0c, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x06, 0x03, 0x77, 0x77, 0x77, 0xc0, 0x0c,
    ]

    @Test("a response with compressed names reads back its names, addresses and flags")
    func compressedNames() throws {
        let message = try DNSMessage(parsing: Self.compressedResponse)
        #expect(message.id == 0xabcd)
        #expect(message.flags.isResponse && message.flags.recursionDesired && message.flags.recursionAvailable)
        #expect(message.flags.responseCode == .noError)
        #expect(message.questions == [.init(name: "example.org", type: .a)])
        #expect(message.answers.map(\.name) == ["example.org", "example.org"])
        #expect(message.answers[0].data == .address(try #require(IPAddress("93.184.215.14"))))
        #expect(message.answers[0].ttl == 3600)
        #expect(message.answers[1].data == .name("www.example.org"))
    }

    @Test("writing compresses repeated names, and what is written reads back the same")
    func roundTrip() throws {
        let address = try #require(IPAddress("10.89.0.5"))
        let v6 = try #require(IPAddress("fd00::5"))
        let message = DNSMessage(id: 7, flags: .init(isResponse: true, authoritative: true, responseCode: .noError),
                                 questions: [.init(name: "web.proj_default", type: .any)],
                                 answers: [.init(name: "web.proj_default", type: .a, ttl: 0, data: .address(address)),
                                           .init(name: "web.proj_default", type: .aaaa, ttl: 0, data: .address(v6)),
                                           .init(name: "5.0.89.10.in-addr.arpa", type: .ptr, ttl: 0, data: .name("proj-web-1.proj_default")),
                                           .init(name: "web.proj_default", type: .txt, ttl: 5, data: .bytes([3, 0x61, 0x62, 0x63]))])
        let bytes = try message.serialized()
        #expect(try DNSMessage(parsing: bytes) == message)
        // "web.proj_default" is written once in full (1+3+1+12+1 bytes), then as 2-byte pointers.
        let full = [UInt8]([3]) + Array("web".utf8) + [12] + Array("proj_default".utf8) + [0]
        #expect(bytes.count(of: full) == 1)
    }

    @Test("NXDOMAIN, SERVFAIL and the truncation flag survive the header bits")
    func headerBits() throws {
        for code in [DNSMessage.ResponseCode.nameError, .serverFailure, .formatError, .notImplemented, .refused] {
            let message = DNSMessage(id: 1, flags: .init(isResponse: true, truncated: code == .serverFailure, responseCode: code))
            let read = try DNSMessage(parsing: try message.serialized())
            #expect(read.flags.responseCode == code)
            #expect(read.flags.truncated == (code == .serverFailure))
        }
    }

    @Test("an answer too long for the requester's UDP size is sent without records and with TC set")
    func truncation() throws {
        let answers = (1...40).map { DNSMessage.Record(name: "db", type: .a, ttl: 0, data: .address(IPAddress(bytes: [10, 0, 0, UInt8($0)]) ?? .anyIPv4)) }
        let message = DNSMessage(id: 9, flags: .init(isResponse: true), questions: [.init(name: "db", type: .a)], answers: answers)
        let small = try DNSMessage(parsing: try message.serialized(limit: 512))
        #expect(small.flags.truncated)
        #expect(small.answers.isEmpty)
        #expect(small.questions.count == 1)
        let large = try DNSMessage(parsing: try message.serialized(limit: 4096))
        #expect(!large.flags.truncated)
        #expect(large.answers.count == 40)
    }

    @Test("the UDP size a query accepts is its EDNS OPT class, else 512")
    func payloadLimit() {
        var query = DNSMessage(id: 1, flags: .init(), questions: [.init(name: "web", type: .a)])
        #expect(query.udpPayloadLimit == 512)
        query.additionals = [.init(name: "", type: .opt, recordClass: 1232, ttl: 0, data: .bytes([]))]
        #expect(query.udpPayloadLimit == 1232)
    }

    static let malformed: [(String, [UInt8])] = [
        ("shorter than a header", [0x12, 0x34, 0x01]),
        ("a question count with no question", [0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]),
        ("a label running past the end", [0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 9, 0x61]),
        ("a pointer to itself", [0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]),
        ("a pointer forwards", [0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 14, 0, 1, 0, 1]),
        ("a reserved label type", [0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x40, 0, 0, 1, 0, 1]),
        ("record data longer than the message", [0, 1, 0x81, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 9, 1]),
    ]

    @Test("malformed messages are refused with malformedMessage, never a crash", arguments: malformed)
    func malformedMessages(_ name: String, _ bytes: [UInt8]) {
        #expect(throws: NetworkingError.self, "\(name)") { try DNSMessage(parsing: bytes) }
        do {
            _ = try DNSMessage(parsing: bytes)
        } catch {
            #expect(error.code == .malformedMessage, "\(name)")
        }
    }

    static let badNames: [String] = [String(repeating: "a", count: 64), String(repeating: "abcdefgh.", count: 30)]

    @Test("names with labels over 63 bytes or over 255 bytes in all are not written", arguments: badNames)
    func badNamesRefused(_ name: String) {
        let message = DNSMessage(id: 1, flags: .init(), questions: [.init(name: name, type: .a)])
        #expect(throws: NetworkingError.self) { try message.serialized() }
    }
}

extension Array where Element == UInt8 {
    func count(of needle: [UInt8]) -> Int {
        guard needle.count <= count else { return 0 }
        return (0...(count - needle.count)).filter { Array(self[$0..<$0 + needle.count]) == needle }.count
    }
}
