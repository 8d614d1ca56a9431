/// A DNS message (RFC 1035 §4): header, questions and resource records, read with name
/// decompression and written with name compression. Only what an embedded resolver needs is
/// typed (addresses and names); any other record data is kept as bytes.
public struct DNSMessage: Sendable, Hashable {
    public var id: UInt16
    public var flags: Flags
    public var questions: [Question]
    public var answers: [Record]
    public var authorities: [Record]
    public var additionals: [Record]

    public init(id: UInt16, flags: Flags, questions: [Question] = [], answers: [Record] = [],
                authorities: [Record] = [], additionals: [Record] = []) {
        self.id = id
        self.flags = flags
        self.questions = questions
        self.answers = answers
        self.authorities = authorities
        self.additionals = additionals
    }

    /// The 16 flag bits of the header.
    public struct Flags: Sendable, Hashable {
        public var isResponse: Bool
        public var opcode: UInt8
        public var authoritative: Bool
        public var truncated: Bool
        public var recursionDesired: Bool
        public var recursionAvailable: Bool
        public var responseCode: ResponseCode

        public init(isResponse: Bool = false, opcode: UInt8 = 0, authoritative: Bool = false, truncated: Bool = false,
                    recursionDesired: Bool = true, recursionAvailable: Bool = false, responseCode: ResponseCode = .noError) {
            self.isResponse = isResponse
            self.opcode = opcode
            self.authoritative = authoritative
            self.truncated = truncated
            self.recursionDesired = recursionDesired
            self.recursionAvailable = recursionAvailable
            self.responseCode = responseCode
        }

        init(_ bits: UInt16) {
            isResponse = bits & 0x8000 != 0
            opcode = UInt8((bits >> 11) & 0xf)
            authoritative = bits & 0x0400 != 0
            truncated = bits & 0x0200 != 0
            recursionDesired = bits & 0x0100 != 0
            recursionAvailable = bits & 0x0080 != 0
            responseCode = ResponseCode(rawValue: UInt8(bits & 0xf))
        }

        var bits: UInt16 {
            var bits = UInt16(opcode & 0xf) << 11 | UInt16(responseCode.rawValue & 0xf)
            if isResponse { bits |= 0x8000 }
            if authoritative { bits |= 0x0400 }
            if truncated { bits |= 0x0200 }
            if recursionDesired { bits |= 0x0100 }
            if recursionAvailable { bits |= 0x0080 }
            return bits
        }
    }

    public struct ResponseCode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let noError = ResponseCode(rawValue: 0)
        public static let formatError = ResponseCode(rawValue: 1)
        public static let serverFailure = ResponseCode(rawValue: 2)
        public static let nameError = ResponseCode(rawValue: 3)  // NXDOMAIN
        public static let notImplemented = ResponseCode(rawValue: 4)
        public static let refused = ResponseCode(rawValue: 5)
        public var description: String {
            ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"].indices.contains(Int(rawValue))
                ? ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"][Int(rawValue)] : "RCODE\(rawValue)"
        }
    }

    public struct RecordType: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }
        public static let a = RecordType(rawValue: 1)
        public static let ns = RecordType(rawValue: 2)
        public static let cname = RecordType(rawValue: 5)
        public static let soa = RecordType(rawValue: 6)
        public static let ptr = RecordType(rawValue: 12)
        public static let mx = RecordType(rawValue: 15)
        public static let txt = RecordType(rawValue: 16)
        public static let aaaa = RecordType(rawValue: 28)
        public static let srv = RecordType(rawValue: 33)
        public static let opt = RecordType(rawValue: 41)
        public static let any = RecordType(rawValue: 255)
        public var description: String {
            switch self {
            case .a: "A"
            case .ns: "NS"
            case .cname: "CNAME"
            case .soa: "SOA"
            case .ptr: "PTR"
            case .mx: "MX"
            case .txt: "TXT"
            case .aaaa: "AAAA"
            case .srv: "SRV"
            case .opt: "OPT"
            case .any: "ANY"
            default: "TYPE\(rawValue)"
            }
        }
    }

    public struct Question: Sendable, Hashable {
        /// The name as asked, without the trailing dot (`web`, `db.example.org`); case kept.
        public var name: String
        public var type: RecordType
        public var recordClass: UInt16

        public init(name: String, type: RecordType, recordClass: UInt16 = 1) {
            self.name = name
            self.type = type
            self.recordClass = recordClass
        }
    }

    public struct Record: Sendable, Hashable {
        public var name: String
        public var type: RecordType
        /// The class; for OPT records the requester's UDP payload size.
        public var recordClass: UInt16
        public var ttl: UInt32
        public var data: RecordData

        public init(name: String, type: RecordType, recordClass: UInt16 = 1, ttl: UInt32, data: RecordData) {
            self.name = name
            self.type = type
            self.recordClass = recordClass
            self.ttl = ttl
            self.data = data
        }
    }

    public enum RecordData: Sendable, Hashable {
        /// A and AAAA.
        case address(IPAddress)
        /// PTR, CNAME and NS: a name, which may be compressed on the wire.
        case name(String)
        case bytes([UInt8])
    }

    /// The UDP payload size the sender accepts: its EDNS OPT record's, else 512 (RFC 6891 §6.2.3).
    public var udpPayloadLimit: Int {
        guard let opt = additionals.first(where: { $0.type == .opt }) else { return 512 }
        return max(512, Int(opt.recordClass))
    }
}

// MARK: - Reading

extension DNSMessage {
    /// The most names a message may point through while decompressing one name: well above any
    /// honest message, and it stops pointer loops.
    static let maximumPointerHops = 64

    /// Parses a message; throws `malformedMessage` naming the offset where it went wrong.
    public init(parsing bytes: [UInt8]) throws(NetworkingError) {
        var reader = Reader(bytes: bytes)
        id = try reader.u16()
        flags = Flags(try reader.u16())
        let counts = (try reader.u16(), try reader.u16(), try reader.u16(), try reader.u16())
        questions = []
        for _ in 0..<counts.0 {
            let name = try reader.name()
            questions.append(Question(name: name, type: RecordType(rawValue: try reader.u16()), recordClass: try reader.u16()))
        }
        answers = try reader.records(Int(counts.1))
        authorities = try reader.records(Int(counts.2))
        additionals = try reader.records(Int(counts.3))
    }

    struct Reader {
        let bytes: [UInt8]
        var offset = 0

        func failure(_ what: String) -> NetworkingError {
            NetworkingError(.malformedMessage, object: "DNS message", "\(what) at offset \(offset) of \(bytes.count) bytes")
        }

        mutating func u8() throws(NetworkingError) -> UInt8 {
            guard offset < bytes.count else { throw failure("truncated") }
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func u16() throws(NetworkingError) -> UInt16 { UInt16(try u8()) << 8 | UInt16(try u8()) }

        mutating func u32() throws(NetworkingError) -> UInt32 { UInt32(try u16()) << 16 | UInt32(try u16()) }

        mutating func take(_ count: Int) throws(NetworkingError) -> [UInt8] {
            guard count <= bytes.count - offset else { throw failure("truncated") }
            defer { offset += count }
            return Array(bytes[offset..<offset + count])
        }

        /// A name, following compression pointers (RFC 1035 §4.1.4). Each pointer must go
        /// backwards, so a message cannot make the reader loop.
        mutating func name() throws(NetworkingError) -> String {
            var labels: [String] = []
            var position = offset
            var resume: Int?
            var hops = 0
            var length = 0
            while true {
                guard position < bytes.count else { throw failure("name runs past the end") }
                let head = bytes[position]
                switch head & 0xc0 {
                case 0x00:
                    if head == 0 {
                        offset = resume ?? position + 1
                        return labels.joined(separator: ".")
                    }
                    let end = position + 1 + Int(head)
                    guard end <= bytes.count else { throw failure("label runs past the end") }
                    length += Int(head) + 1
                    guard length <= 255 else { throw failure("name longer than 255 bytes") }
                    labels.append(String(decoding: bytes[(position + 1)..<end], as: UTF8.self))
                    position = end
                case 0xc0:
                    guard position + 1 < bytes.count else { throw failure("compression pointer runs past the end") }
                    let target = Int(head & 0x3f) << 8 | Int(bytes[position + 1])
                    hops += 1
                    guard target < position, hops <= DNSMessage.maximumPointerHops else {
                        throw failure("compression pointer to \(target) does not point backwards")
                    }
                    if resume == nil { resume = position + 2 }
                    position = target
                default:
                    throw failure("label type \(head >> 6) is not supported")
                }
            }
        }

        mutating func records(_ count: Int) throws(NetworkingError) -> [Record] {
            var records: [Record] = []
            for _ in 0..<count {
                let name = try name()
                let type = RecordType(rawValue: try u16())
                let recordClass = try u16()
                let ttl = try u32()
                let length = Int(try u16())
                let start = offset
                guard length <= bytes.count - offset else { throw failure("record data runs past the end") }
                let data: RecordData
                switch type {
                case .a where length == 4, .aaaa where length == 16:
                    data = .address(IPAddress(bytes: try take(length)) ?? .anyIPv4)
                case .ptr, .cname, .ns:
                    let target = try self.name()
                    guard offset == start + length else { throw failure("\(type) data length \(length) does not match its name") }
                    data = .name(target)
                default:
                    data = .bytes(try take(length))
                }
                records.append(Record(name: name, type: type, recordClass: recordClass, ttl: ttl, data: data))
            }
            return records
        }
    }
}

// MARK: - Writing

extension DNSMessage {
    /// The message on the wire, with names compressed. When it is longer than `limit` (a UDP
    /// requester's payload size), answers are dropped and the truncation flag set, so the requester
    /// retries over TCP (RFC 2181 §9).
    public func serialized(limit: Int = 65535) throws(NetworkingError) -> [UInt8] {
        let full = try encode(self)
        if full.count <= limit { return full }
        var truncated = self
        truncated.flags.truncated = true
        truncated.answers = []
        truncated.authorities = []
        truncated.additionals = additionals.filter { $0.type == .opt }
        return try encode(truncated)
    }

    private func encode(_ message: DNSMessage) throws(NetworkingError) -> [UInt8] {
        var writer = Writer()
        writer.u16(message.id)
        writer.u16(message.flags.bits)
        for count in [message.questions.count, message.answers.count, message.authorities.count, message.additionals.count] {
            guard count <= 0xffff else { throw NetworkingError(.malformedMessage, object: "DNS message", "more than 65535 entries in a section") }
            writer.u16(UInt16(count))
        }
        for question in message.questions {
            try writer.name(question.name)
            writer.u16(question.type.rawValue)
            writer.u16(question.recordClass)
        }
        for record in message.answers + message.authorities + message.additionals {
            try writer.name(record.name)
            writer.u16(record.type.rawValue)
            writer.u16(record.recordClass)
            writer.u16(UInt16(record.ttl >> 16))
            writer.u16(UInt16(record.ttl & 0xffff))
            let lengthAt = writer.bytes.count
            writer.u16(0)
            switch record.data {
            case .address(let address): writer.bytes += address.bytes
            case .name(let name): try writer.name(name)
            case .bytes(let bytes): writer.bytes += bytes
            }
            let length = writer.bytes.count - lengthAt - 2
            guard length <= 0xffff else { throw NetworkingError(.malformedMessage, object: record.name, "record data longer than 65535 bytes") }
            writer.bytes[lengthAt] = UInt8(length >> 8)
            writer.bytes[lengthAt + 1] = UInt8(length & 0xff)
        }
        guard writer.bytes.count <= 0xffff else { throw NetworkingError(.malformedMessage, object: "DNS message", "longer than 65535 bytes") }
        return writer.bytes
    }

    struct Writer {
        var bytes: [UInt8] = []
        /// Where each name suffix (lowercased) was first written, for compression pointers.
        var suffixes: [String: Int] = [:]

        mutating func u16(_ value: UInt16) {
            bytes.append(UInt8(value >> 8))
            bytes.append(UInt8(value & 0xff))
        }

        mutating func name(_ name: String) throws(NetworkingError) {
            let labels = name.split(separator: ".", omittingEmptySubsequences: true).map { Array($0.utf8) }
            guard labels.reduce(1, { $0 + $1.count + 1 }) <= 255 else {
                throw NetworkingError(.malformedMessage, object: name, "a DNS name is at most 255 bytes")
            }
            for index in labels.indices {
                let suffix = labels[index...].map { String(decoding: $0, as: UTF8.self) }.joined(separator: ".").lowercased()
                if let offset = suffixes[suffix] {
                    u16(0xc000 | UInt16(offset))
                    return
                }
                // Pointers have 14 bits: later suffixes are written out in full.
                if bytes.count < 0x3fff { suffixes[suffix] = bytes.count }
                let label = labels[index]
                guard !label.isEmpty, label.count <= 63 else {
                    throw NetworkingError(.malformedMessage, object: name, "a DNS label is 1 to 63 bytes")
                }
                bytes.append(UInt8(label.count))
                bytes += label
            }
            bytes.append(0)
        }
    }
}
