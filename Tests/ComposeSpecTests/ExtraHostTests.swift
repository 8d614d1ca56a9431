import Testing
@testable import ComposeSpec

/// Cases from compose-go's `types/hostList_test.go`, with both separators.
@Suite struct ExtraHostTests {
    @Test("parses host and address with = or :", arguments: ["=", ":"], [
        ("myhost", "192.168.0.1", "192.168.0.1"),
        ("myhost", "[192.168.0.1]", "192.168.0.1"),
        ("host.invalid", "10.0.2.1", "10.0.2.1"),
        ("anipv6host", "2003:ab34:e::1", "2003:ab34:e::1"),
        ("anipv6host", "[2003:ab34:e::1]", "2003:ab34:e::1"),
        ("ipv6local", "::1", "::1"),
        ("ipv6local", "[::1]", "::1"),
        ("host.docker.internal", "host-gateway", "host-gateway"),
    ] as [(String, String, String)])
    func parses(separator: String, entry: (host: String, written: String, address: String)) throws {
        let parsed = try ExtraHost.parse(entry.host + separator + entry.written)
        #expect(parsed.host == entry.host)
        #expect(parsed.address == entry.address)
    }

    @Test("prefers = so that an address may contain colons")
    func equalsFirst() throws {
        // With = present the split is there, so the name keeps its colon and is then rejected.
        #expect(throws: ComposeValueError(
            #"invalid extra host "my:host=1.2.3.4": bad host name "my:host" (expected HOST=IP or HOST:IP)"#)) {
            try ExtraHost.parse("my:host=1.2.3.4")
        }
        let ipv6 = try ExtraHost.parse("h=fe80::1")
        #expect(ipv6.host == "h" && ipv6.address == "fe80::1")
    }

    @Test("splits a comma-separated list of addresses")
    func list() throws {
        let all = try ExtraHost.parseAll("foo=127.0.0.2,[::1]")
        #expect(all.map { "\($0.host) \($0.address)" } == ["foo 127.0.0.2", "foo ::1"])
        #expect(throws: ComposeValueError(#"extra host "foo=127.0.0.2,127.0.0.3" lists 2 addresses where one is expected"#)) {
            try ExtraHost.parse("foo=127.0.0.2,127.0.0.3")
        }
    }

    @Test("rejects entries without a host or an address", arguments: [
        ("::::1", #"invalid extra host "::::1": bad host name "" (expected HOST=IP or HOST:IP)"#),
        ("=::1", #"invalid extra host "=::1": bad host name "" (expected HOST=IP or HOST:IP)"#),
        ("myhost", #"invalid extra host "myhost": missing IP address (expected HOST=IP or HOST:IP)"#),
    ] as [(String, String)])
    func rejects(entry: String, message: String) {
        #expect(throws: ComposeValueError(message)) { try ExtraHost.parse(entry) }
    }
}
