/// What the server does with one query: answer it from the table, or forward it upstream.
enum DNSDecision: Equatable {
    case answer(DNSMessage)
    case forward
}

/// The answering rules, apart from sockets so tests can table them. Holds the round-robin
/// counters; used by one server loop only.
struct DNSAnswerer {
    /// Records say TTL 0: a recreated container's new address must be seen at once, and a
    /// container's resolver asks this server on its own link, which costs microseconds.
    static let ttl: UInt32 = 0
    /// The EDNS payload size the server announces (RFC 9715's safe size).
    static let ednsPayload: UInt16 = 1232

    var table: DNSNameTable
    private var turns: [String: Int] = [:]

    init(table: DNSNameTable) { self.table = table }

    mutating func replaceTable(_ table: DNSNameTable) {
        self.table = table
        turns = [:]
    }

    mutating func decide(_ query: DNSMessage) -> DNSDecision {
        guard !query.flags.isResponse else { return .answer(reply(to: query, code: .formatError)) }
        guard query.flags.opcode == 0 else { return .answer(reply(to: query, code: .notImplemented)) }
        guard query.questions.count == 1, let question = query.questions.first else {
            return .answer(reply(to: query, code: .formatError))
        }
        let name = DNSNameTable.normalize(question.name)
        if question.type == .ptr, let target = reverseLookup(name) {
            var response = reply(to: query, code: .noError)
            response.answers = [.init(name: question.name, type: .ptr, ttl: Self.ttl, data: .name(target))]
            return .answer(response)
        }
        guard let addresses = table.entries[name] else { return .forward }
        var response = reply(to: query, code: .noError)
        let wanted: [IPAddress]
        switch question.type {
        case .a: wanted = addresses.filter(\.isIPv4)
        case .aaaa: wanted = addresses.filter { !$0.isIPv4 }
        case .any: wanted = addresses
        // The name exists but has no records of this type: NODATA (NOERROR, no answers), not
        // NXDOMAIN, which would tell a resolver that the A records do not exist either.
        default: wanted = []
        }
        response.answers = rotated(wanted, for: name).map {
            .init(name: question.name, type: $0.isIPv4 ? .a : .aaaa, ttl: Self.ttl, data: .address($0))
        }
        return .answer(response)
    }

    /// A reply carrying the query's id, question and EDNS presence.
    func reply(to query: DNSMessage, code: DNSMessage.ResponseCode) -> DNSMessage {
        var flags = DNSMessage.Flags(isResponse: true, opcode: query.flags.opcode, authoritative: false,
                                     recursionDesired: query.flags.recursionDesired, recursionAvailable: true,
                                     responseCode: code)
        flags.authoritative = code == .noError || code == .nameError
        var response = DNSMessage(id: query.id, flags: flags, questions: query.questions)
        if query.additionals.contains(where: { $0.type == .opt }) {
            response.additionals = [.init(name: "", type: .opt, recordClass: Self.ednsPayload, ttl: 0, data: .bytes([]))]
        }
        return response
    }

    /// Each answer starts one replica further on, so clients that take the first address spread
    /// over the replicas.
    private mutating func rotated(_ addresses: [IPAddress], for name: String) -> [IPAddress] {
        guard addresses.count > 1 else { return addresses }
        let turn = turns[name, default: 0]
        turns[name] = (turn + 1) % addresses.count
        let start = turn % addresses.count
        return Array(addresses[start...] + addresses[..<start])
    }

    private func reverseLookup(_ name: String) -> String? {
        guard name.hasSuffix(".in-addr.arpa") || name.hasSuffix(".ip6.arpa") else { return nil }
        for (address, target) in table.reverse where address.reverseName == name { return target }
        return nil
    }
}
