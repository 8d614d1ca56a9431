import Foundation
import Testing
@testable import Networking

@Suite("DNS answers")
struct DNSAnswerTests {
    static func ip(_ text: String) -> IPAddress { IPAddress(text) ?? .anyIPv4 }

    static let table = DNSNameTable([
        "web": [ip("10.89.0.2"), ip("10.89.0.3"), ip("10.89.0.4")],
        "proj-web-1": [ip("10.89.0.2")],
        "db": [ip("10.89.0.9"), ip("fd00::9")],
        "Cache.": [ip("10.89.0.10")],
    ])

    static func query(_ name: String, _ type: DNSMessage.RecordType) -> DNSMessage {
        DNSMessage(id: 42, flags: .init(), questions: [.init(name: name, type: type)])
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var type: DNSMessage.RecordType
        /// nil: forwarded upstream.
        var code: DNSMessage.ResponseCode?
        var answers: [String]
        var testDescription: String { "\(name) \(type)" }
    }

    static let cases: [Case] = [
        Case(name: "db", type: .a, code: .noError, answers: ["10.89.0.9"]),
        Case(name: "DB.", type: .aaaa, code: .noError, answers: ["fd00::9"]),
        Case(name: "db", type: .any, code: .noError, answers: ["10.89.0.9", "fd00::9"]),
        Case(name: "cache", type: .a, code: .noError, answers: ["10.89.0.10"]),
        // NODATA: the name exists, with no record of that type.
        Case(name: "cache", type: .aaaa, code: .noError, answers: []),
        Case(name: "cache", type: .mx, code: .noError, answers: []),
        Case(name: "example.org", type: .a, code: nil, answers: []),
        Case(name: "9.0.89.10.in-addr.arpa", type: .ptr, code: .noError, answers: ["db"]),
        Case(name: "2.0.89.10.in-addr.arpa", type: .ptr, code: .noError, answers: ["proj-web-1"]),
        Case(name: "1.0.0.127.in-addr.arpa", type: .ptr, code: nil, answers: []),
    ]

    @Test("names in the table are answered, others forwarded", arguments: cases)
    func answers(_ example: Case) {
        var answerer = DNSAnswerer(table: Self.table)
        let decision = answerer.decide(Self.query(example.name, example.type))
        guard let code = example.code else {
            #expect(decision == .forward)
            return
        }
        guard case .answer(let reply) = decision else {
            Issue.record("\(example.name) was forwarded")
            return
        }
        #expect(reply.id == 42)
        #expect(reply.flags.isResponse)
        #expect(reply.flags.responseCode == code)
        #expect(reply.questions.first?.name == example.name)
        let got = reply.answers.map { record -> String in
            switch record.data {
            case .address(let address): address.description
            case .name(let name): name
            case .bytes: "?"
            }
        }
        #expect(got == example.answers)
    }

    @Test("a scaled service's replicas are returned in a rotating order")
    func roundRobin() {
        var answerer = DNSAnswerer(table: Self.table)
        var firsts: [String] = []
        for _ in 0..<6 {
            guard case .answer(let reply) = answerer.decide(Self.query("web", .a)) else {
                Issue.record("forwarded")
                return
            }
            #expect(reply.answers.count == 3)
            firsts.append(TestNet.addresses(reply).first ?? "")
        }
        #expect(firsts == ["10.89.0.2", "10.89.0.3", "10.89.0.4", "10.89.0.2", "10.89.0.3", "10.89.0.4"])
    }

    @Test("queries that are not standard queries are refused, not forwarded")
    func refusals() {
        var answerer = DNSAnswerer(table: Self.table)
        var update = Self.query("web", .a)
        update.flags.opcode = 5
        #expect(answerer.decide(update) == .answer(answerer.reply(to: update, code: .notImplemented)))
        let empty = DNSMessage(id: 1, flags: .init())
        #expect(answerer.decide(empty) == .answer(answerer.reply(to: empty, code: .formatError)))
    }
}

@Suite("DNS server", .serialized)
struct DNSServerTests {
    static let ip = DNSAnswerTests.ip

    @Test("answers service names over UDP on the address it is given, and forwards the rest to the upstream")
    func servesAndForwards() throws {
        let upstream = try UDPServer(on: "127.0.10.2", .dns(Self.ip("203.0.113.7")))
        defer { upstream.stop() }
        let server = try DNSServer(listen: SocketAddress(Self.ip("127.0.10.1"), 0), table: DNSAnswerTests.table,
                                   options: .init(upstreams: [upstream.address]))
        defer { server.shutdown() }
        #expect(server.address.ip == Self.ip("127.0.10.1"))
        #expect(server.address.port != 0)

        let db = try TestNet.ask("db", .a, server: server.address)
        #expect(TestNet.addresses(db) == ["10.89.0.9"])
        #expect(db?.id == 0x1234)

        let outside = try TestNet.ask("example.org", .a, server: server.address, id: 0x7777)
        #expect(outside?.id == 0x7777)
        #expect(outside?.flags.responseCode == .noError)
        #expect(TestNet.addresses(outside) == ["203.0.113.7"], "forwarded to the fake upstream")
    }

    @Test("a name the upstream never answers gets SERVFAIL after the timeout; the next upstream is tried first")
    func upstreamTimeout() throws {
        let silent = try UDPServer(on: "127.0.10.3", .silent)
        defer { silent.stop() }
        let server = try DNSServer(listen: SocketAddress(Self.ip("127.0.10.1"), 0), table: DNSNameTable(),
                                   options: .init(upstreams: [silent.address], attemptTimeout: 0.2))
        defer { server.shutdown() }
        let start = Date()
        let reply = try TestNet.ask("nowhere.example", .a, server: server.address)
        #expect(reply?.flags.responseCode == .serverFailure)
        #expect(Date().timeIntervalSince(start) < 1.5)

        let answering = try UDPServer(on: "127.0.10.4", .dns(Self.ip("198.51.100.1")))
        defer { answering.stop() }
        let second = try DNSServer(listen: SocketAddress(Self.ip("127.0.10.1"), 0), table: DNSNameTable(),
                                   options: .init(upstreams: [silent.address, answering.address], attemptTimeout: 0.2))
        defer { second.shutdown() }
        #expect(TestNet.addresses(try TestNet.ask("fallback.example", .a, server: second.address)) == ["198.51.100.1"])
    }

    @Test("with no upstream, unknown names get SERVFAIL at once")
    func noUpstream() throws {
        let server = try DNSServer(listen: SocketAddress(Self.ip("127.0.10.1"), 0), table: DNSNameTable(), options: .init(upstreams: []))
        defer { server.shutdown() }
        #expect(try TestNet.ask("example.org", .a, server: server.address, timeout: 0.5)?.flags.responseCode == .serverFailure)
    }

    @Test("a table update is answered by the next query, well within a second")
    func update() throws {
        let server = try DNSServer(listen: SocketAddress(Self.ip("127.0.10.1"), 0),
                                   table: DNSNameTable(["web": [Self.ip("10.89.0.2")]]), options: .init(upstreams: []))
        defer { server.shutdown() }
        #expect(TestNet.addresses(try TestNet.ask("web", .a, server: server.address)) == ["10.89.0.2"])
        let start = Date()
        server.update(DNSNameTable(["web": [Self.ip("10.89.0.7")]]))
        var seen: [String] = []
        while Date().timeIntervalSince(start) < 1 {
            seen = TestNet.addresses(try TestNet.ask("web", .a, server: server.address))
            if seen == ["10.89.0.7"] { break }
        }
        #expect(seen == ["10.89.0.7"])
        #expect(Date().timeIntervalSince(start) < 1)
    }

    @Test("garbage gets FORMERR when it has a header, and the server keeps serving")
    func garbage() throws {
        let server = try DNSServer(listen: SocketAddress(Self.ip("127.0.10.1"), 0), table: DNSAnswerTests.table, options: .init(upstreams: []))
        defer { server.shutdown() }
        let reply = TestNet.exchange([0xbe, 0xef, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0xff], with: server.address)
        let parsed = try DNSMessage(parsing: try #require(reply))
        #expect(parsed.id == 0xbeef)
        #expect(parsed.flags.responseCode == .formatError)
        #expect(TestNet.addresses(try TestNet.ask("db", .a, server: server.address)) == ["10.89.0.9"])
    }

    @Test("an answer too long for UDP comes truncated over UDP and whole over TCP, for each query on the connection")
    func tcpFallback() throws {
        let replicas = (1...40).map { IPAddress(bytes: [10, 89, 0, UInt8($0)]) ?? .anyIPv4 }
        let server = try DNSServer(listen: SocketAddress(Self.ip("127.0.10.1"), 0), table: DNSNameTable(["big": replicas]),
                                   options: .init(upstreams: []))
        defer { server.shutdown() }
        let udp = try TestNet.ask("big", .a, server: server.address)
        #expect(udp?.flags.truncated == true)
        #expect(udp?.answers.isEmpty == true)

        let fd = try TestNet.connectTCP(server.address)
        defer { close(fd) }
        let query = try DNSAnswerTests.query("big", .a).serialized()
        let framed = [UInt8(query.count >> 8), UInt8(query.count & 0xff)] + query
        #expect(TestNet.writeAll(fd, framed + framed), "two queries in one write")
        for _ in 0..<2 {
            let header = TestNet.readExactly(fd, 2)
            try #require(header.count == 2)
            let reply = try DNSMessage(parsing: TestNet.readExactly(fd, Int(header[0]) << 8 | Int(header[1])))
            #expect(!reply.flags.truncated)
            #expect(reply.answers.count == 40)
        }
    }

    @Test("a service name is answered in well under a millisecond (median of 500)")
    func latency() throws {
        let server = try DNSServer(listen: SocketAddress(Self.ip("127.0.10.1"), 0), table: DNSAnswerTests.table, options: .init(upstreams: []))
        defer { server.shutdown() }
        let query = try DNSAnswerTests.query("web", .a).serialized()
        var samples: [Double] = []
        for _ in 0..<500 {
            let start = monotonicSeconds()
            _ = try #require(TestNet.exchange(query, with: server.address))
            samples.append(monotonicSeconds() - start)
        }
        samples.sort()
        #expect(samples[samples.count / 2] < 0.001, "median \(samples[samples.count / 2] * 1e6) µs")
    }
}

@Suite("Host resolvers")
struct HostResolversTests {
    static let cases: [(String, String, [String])] = [
        ("two servers, loopback kept", "# generated\nnameserver 127.0.0.53\nnameserver 192.0.2.1\nsearch example.org\n",
         ["127.0.0.53:53", "192.0.2.1:53"]),
        ("IPv6, tabs, options ignored", "options edns0\nnameserver\t2001:db8::1\n", ["[2001:db8::1]:53"]),
        ("a scoped address is skipped", "nameserver fe80::1%eth0\nnameserver 10.0.0.2\n", ["10.0.0.2:53"]),
        ("none: glibc's default", "search lan\n", ["127.0.0.1:53"]),
    ]

    @Test("nameserver lines of resolv.conf become upstreams on port 53", arguments: cases)
    func parse(_ name: String, _ text: String, _ expected: [String]) {
        #expect(HostResolvers.parse(text).map(\.description) == expected, "\(name)")
    }
}
