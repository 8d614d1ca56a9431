/// The rtnetlink wire format: a header, a fixed family struct, then type-length-value
/// attributes padded to four bytes, all in host byte order (addresses stay in network order).
/// Builders write into a byte array; `NetlinkAttributes` reads one back.
struct NetlinkMessage {
    static let headerSize = 16

    // nlmsghdr flags (linux/netlink.h)
    static let request: UInt16 = 0x1
    static let multi: UInt16 = 0x2
    static let ack: UInt16 = 0x4
    static let replace: UInt16 = 0x100
    static let excl: UInt16 = 0x200
    static let create: UInt16 = 0x400
    static let dump: UInt16 = 0x300

    // control messages
    static let error: UInt16 = 2
    static let done: UInt16 = 3

    var type: UInt16
    var flags: UInt16
    var bytes: [UInt8] = []
    /// Offsets of nested attributes still open, whose lengths are patched on close.
    private var open: [Int] = []

    init(type: UInt16, flags: UInt16) {
        self.type = type
        self.flags = flags
    }

    /// The message with its header, ready to send with sequence number `sequence`.
    func encoded(sequence: UInt32) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(Self.headerSize + bytes.count)
        out.appendInteger(UInt32(Self.headerSize + bytes.count))
        out.appendInteger(type)
        out.appendInteger(flags)
        out.appendInteger(sequence)
        out.appendInteger(UInt32(0))  // the kernel fills in the port id
        out += bytes
        return out
    }

    mutating func appendInteger<T: FixedWidthInteger>(_ value: T) { bytes.appendInteger(value) }
    mutating func appendBytes(_ value: [UInt8]) { bytes += value }

    /// struct ifinfomsg: family, pad, type, index, flags, change.
    mutating func appendLinkInfo(index: Int32 = 0, flags: UInt32 = 0, change: UInt32 = 0) {
        bytes += [0, 0]  // AF_UNSPEC, pad
        bytes.appendInteger(UInt16(0))
        bytes.appendInteger(index)
        bytes.appendInteger(flags)
        bytes.appendInteger(change)
    }

    mutating func attribute(_ type: UInt16, _ payload: [UInt8]) {
        bytes.appendInteger(UInt16(4 + payload.count))
        bytes.appendInteger(type)
        bytes += payload
        pad()
    }

    mutating func attribute<T: FixedWidthInteger>(_ type: UInt16, integer: T) {
        var payload: [UInt8] = []
        payload.appendInteger(integer)
        attribute(type, payload)
    }

    /// A NUL-terminated string attribute (interface names, link kinds).
    mutating func attribute(_ type: UInt16, string: String) { attribute(type, Array(string.utf8) + [0]) }

    mutating func beginNested(_ type: UInt16) {
        open.append(bytes.count)
        bytes.appendInteger(UInt16(0))
        bytes.appendInteger(type | 0x8000)  // NLA_F_NESTED
    }

    mutating func endNested() {
        guard let start = open.popLast() else { return }
        let length = UInt16(bytes.count - start)
        bytes[start] = UInt8(length & 0xff)
        bytes[start + 1] = UInt8(length >> 8)
    }

    private mutating func pad() {
        while bytes.count % 4 != 0 { bytes.append(0) }
    }
}

/// The attributes of one message (or of one nested attribute), by type; the last wins when a
/// type repeats, which rtnetlink does not do for the attributes read here.
struct NetlinkAttributes {
    private(set) var values: [UInt16: ArraySlice<UInt8>] = [:]

    init(_ bytes: ArraySlice<UInt8>) {
        var offset = bytes.startIndex
        while offset + 4 <= bytes.endIndex {
            let length = Int(bytes.readInteger(at: offset, as: UInt16.self))
            let type = bytes.readInteger(at: offset + 2, as: UInt16.self) & 0x3fff  // without NESTED/BYTEORDER
            guard length >= 4, offset + length <= bytes.endIndex else { break }
            values[type] = bytes[(offset + 4)..<(offset + length)]
            offset += (length + 3) & ~3
        }
    }

    subscript(type: UInt16) -> ArraySlice<UInt8>? { values[type] }

    func string(_ type: UInt16) -> String? {
        guard let value = values[type] else { return nil }
        return String(decoding: value.prefix { $0 != 0 }, as: UTF8.self)
    }

    func uint32(_ type: UInt16) -> UInt32? {
        guard let value = values[type], value.count >= 4 else { return nil }
        return value.readInteger(at: value.startIndex, as: UInt32.self)
    }

    func nested(_ type: UInt16) -> NetlinkAttributes? { values[type].map(NetlinkAttributes.init) }
}

extension Array where Element == UInt8 {
    mutating func appendInteger<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}

extension ArraySlice where Element == UInt8 {
    /// A host-order (little-endian on every Linux Berth runs on) integer at absolute index `at`.
    func readInteger<T: FixedWidthInteger>(at index: Int, as: T.Type) -> T {
        var value: T = 0
        for byte in 0..<MemoryLayout<T>.size where index + byte < endIndex {
            value |= T(self[index + byte]) << (8 * byte)
        }
        return value
    }
}
