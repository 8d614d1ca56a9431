#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// An rtnetlink client over one NETLINK_ROUTE socket. The socket's network namespace is the
/// one it was opened in, whatever thread later uses it: `NetworkNamespace.netlink()` opens one
/// inside a container's namespace and every request below then acts there, from any thread.
///
/// Every change is sent with NLM_F_ACK and waits for the kernel's answer, so a call returns
/// only once the change is made, and a refusal becomes a `NetworkingError` naming the request
/// and the link: `netlink RTM_NEWLINK berth-1a2b3c4d5: File exists`.
public final class Netlink: Sendable {
    /// The socket; closed when this object goes.
    public let descriptor: Int32
    /// Request and reply are one exchange: the lock keeps two callers' replies apart.
    private let exchange = Mutex<UInt32>(0)

    // rtnetlink message types (linux/rtnetlink.h)
    static let newLink: UInt16 = 16, delLink: UInt16 = 17, getLink: UInt16 = 18
    static let newAddr: UInt16 = 20, delAddr: UInt16 = 21, getAddr: UInt16 = 22
    static let newRoute: UInt16 = 24, delRoute: UInt16 = 25, getRoute: UInt16 = 26

    // IFLA_* (linux/if_link.h)
    static let iflaAddress: UInt16 = 1, iflaName: UInt16 = 3, iflaMTU: UInt16 = 4, iflaMaster: UInt16 = 10
    static let iflaLinkInfo: UInt16 = 18, iflaNetNSPID: UInt16 = 19, iflaNetNSFD: UInt16 = 28
    static let infoKind: UInt16 = 1, infoData: UInt16 = 2, vethPeer: UInt16 = 1
    // IFA_* and RTA_*
    static let ifaAddress: UInt16 = 1, ifaLocal: UInt16 = 2, ifaBroadcast: UInt16 = 4
    static let rtaDestination: UInt16 = 1, rtaOutput: UInt16 = 4, rtaGateway: UInt16 = 5, rtaTable: UInt16 = 15
    static let iffUp: UInt32 = 0x1

    /// Takes ownership of `descriptor`, an AF_NETLINK/NETLINK_ROUTE socket.
    public init(socket descriptor: Int32) throws(NetworkingError) {
        self.descriptor = descriptor
        // The kernel answers at once; a bound wait turns a lost reply into an error, not a hang.
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        _ = setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        // struct sockaddr_nl with pid 0: the kernel.
        var kernel = sockaddr_storage()
        withUnsafeMutableBytes(of: &kernel) { $0[0] = UInt8(AF_NETLINK) }
        let connected = withUnsafePointer(to: &kernel) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, 12) }
        }
        if connected < 0 { throw .system("connect", "netlink socket") }
    }

    /// A NETLINK_ROUTE socket in the calling thread's network namespace.
    public convenience init() throws(NetworkingError) {
        let fd = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0 /* NETLINK_ROUTE */)
        if fd < 0 { throw .system("socket AF_NETLINK", "netlink socket") }
        do { try self.init(socket: fd) } catch {
            close(fd)
            throw error
        }
    }

    deinit { close(descriptor) }

    // MARK: links

    /// Creates a bridge, down; `EEXIST` when a link of that name exists.
    public func createBridge(_ name: String, mtu: UInt32? = nil) throws(NetworkingError) {
        var message = NetlinkMessage(type: Self.newLink, flags: NetlinkMessage.create | NetlinkMessage.excl)
        message.appendLinkInfo()
        message.attribute(Self.iflaName, string: name)
        if let mtu { message.attribute(Self.iflaMTU, integer: mtu) }
        message.beginNested(Self.iflaLinkInfo)
        message.attribute(Self.infoKind, string: "bridge")
        message.endNested()
        try perform(message, "RTM_NEWLINK", name)
    }

    /// Creates a veth pair `name` ↔ `peer`. The peer is made directly inside the namespace
    /// `peerNamespace` (an nsfs descriptor) when given, so its name never meets the host's
    /// (every container's first interface is `eth0`), with hardware address `peerMAC`.
    public func createVeth(_ name: String, peer: String, peerNamespace: Int32? = nil, peerMAC: [UInt8]? = nil,
                           mtu: UInt32? = nil) throws(NetworkingError) {
        var message = NetlinkMessage(type: Self.newLink, flags: NetlinkMessage.create | NetlinkMessage.excl)
        message.appendLinkInfo()
        message.attribute(Self.iflaName, string: name)
        if let mtu { message.attribute(Self.iflaMTU, integer: mtu) }
        message.beginNested(Self.iflaLinkInfo)
        message.attribute(Self.infoKind, string: "veth")
        message.beginNested(Self.infoData)
        message.beginNested(Self.vethPeer)
        message.appendLinkInfo()  // the peer's ifinfomsg, then its attributes
        message.attribute(Self.iflaName, string: peer)
        if let mtu { message.attribute(Self.iflaMTU, integer: mtu) }
        if let peerMAC { message.attribute(Self.iflaAddress, peerMAC) }
        if let peerNamespace { message.attribute(Self.iflaNetNSFD, integer: UInt32(bitPattern: peerNamespace)) }
        message.endNested()
        message.endNested()
        message.endNested()
        try perform(message, "RTM_NEWLINK", "\(name) (veth peer \(peer))")
    }

    /// Enslaves `link` to the bridge `master`; nil releases it.
    public func setMaster(_ link: String, master: String?) throws(NetworkingError) {
        let masterIndex = try master.map { (name) throws(NetworkingError) in try index(of: name) } ?? 0
        try changeLink(link, "set master \(master ?? "none")") { $0.attribute(Self.iflaMaster, integer: UInt32(bitPattern: masterIndex)) }
    }

    public func setUp(_ link: String, _ up: Bool = true) throws(NetworkingError) {
        try changeLink(link, up ? "set up" : "set down", flags: up ? Self.iffUp : 0, change: Self.iffUp) { _ in }
    }

    public func setMTU(_ link: String, _ mtu: UInt32) throws(NetworkingError) {
        try changeLink(link, "set mtu \(mtu)") { $0.attribute(Self.iflaMTU, integer: mtu) }
    }

    /// Moves `link` into the network namespace of the nsfs descriptor `namespace`.
    public func move(_ link: String, toNamespace namespace: Int32) throws(NetworkingError) {
        try changeLink(link, "move to namespace") { $0.attribute(Self.iflaNetNSFD, integer: UInt32(bitPattern: namespace)) }
    }

    /// Moves `link` into the network namespace of process `pid`.
    public func move(_ link: String, toNamespaceOf pid: Int32) throws(NetworkingError) {
        try changeLink(link, "move to namespace of \(pid)") { $0.attribute(Self.iflaNetNSPID, integer: UInt32(bitPattern: pid)) }
    }

    public func rename(_ link: String, to name: String) throws(NetworkingError) {
        // IFLA_IFNAME carries the new name here, so the link is named by its index.
        let linkIndex = try index(of: link)
        var message = NetlinkMessage(type: Self.newLink, flags: 0)
        message.appendLinkInfo(index: linkIndex)
        message.attribute(Self.iflaName, string: name)
        try perform(message, "RTM_NEWLINK", "\(link) (rename to \(name))")
    }

    /// Deletes `link`; deleting one end of a veth pair deletes both.
    public func deleteLink(_ link: String) throws(NetworkingError) {
        var message = NetlinkMessage(type: Self.delLink, flags: 0)
        message.appendLinkInfo()
        message.attribute(Self.iflaName, string: link)
        try perform(message, "RTM_DELLINK", link)
    }

    /// The link named `name`, nil when there is none.
    public func link(named name: String) throws(NetworkingError) -> Link? {
        var message = NetlinkMessage(type: Self.getLink, flags: 0)
        message.appendLinkInfo()
        message.attribute(Self.iflaName, string: name)
        do {
            return try request(message, "RTM_GETLINK", name).compactMap(Self.parseLink).first
        } catch where error.errno == ENODEV {
            return nil
        }
    }

    public func links() throws(NetworkingError) -> [Link] {
        var message = NetlinkMessage(type: Self.getLink, flags: NetlinkMessage.dump)
        message.appendLinkInfo()
        return try request(message, "RTM_GETLINK", "all links").compactMap(Self.parseLink)
    }

    // MARK: addresses and routes

    /// Assigns `address`/`prefixLength` to `link` (and, for IPv4, the subnet's broadcast
    /// address). IPv6 addresses skip duplicate address detection (IFA_F_NODAD): the addresses
    /// are Berth's to give, and DAD would hold them "tentative", unusable, for a second or more.
    public func addAddress(_ link: String, family: Int32, address: [UInt8], prefixLength: Int) throws(NetworkingError) {
        try changeAddress(Self.newAddr, link, family: family, address: address, prefixLength: prefixLength)
    }

    public func deleteAddress(_ link: String, family: Int32, address: [UInt8], prefixLength: Int) throws(NetworkingError) {
        try changeAddress(Self.delAddr, link, family: family, address: address, prefixLength: prefixLength)
    }

    public func addresses() throws(NetworkingError) -> [LinkAddress] {
        var message = NetlinkMessage(type: Self.getAddr, flags: NetlinkMessage.dump)
        message.appendBytes([0, 0, 0, 0])
        message.appendInteger(UInt32(0))
        return try request(message, "RTM_GETADDR", "all addresses").compactMap { body -> LinkAddress? in
            guard body.count >= 8 else { return nil }
            let attributes = NetlinkAttributes(body.dropFirst(8))
            guard let address = attributes[Self.ifaLocal] ?? attributes[Self.ifaAddress] else { return nil }
            return LinkAddress(linkIndex: Int32(bitPattern: body.readInteger(at: body.startIndex + 4, as: UInt32.self)),
                               family: Int32(body[body.startIndex]), address: Array(address),
                               prefixLength: Int(body[body.startIndex + 1]))
        }
    }

    /// Adds a route in the main table: to `destination`/`prefixLength` (nil: the default route)
    /// via `gateway` and/or out of `link`.
    public func addRoute(family: Int32, destination: [UInt8]? = nil, prefixLength: Int = 0, gateway: [UInt8]?,
                         link: String? = nil) throws(NetworkingError) {
        let linkIndex = try link.map { (name) throws(NetworkingError) in try index(of: name) }
        var message = NetlinkMessage(type: Self.newRoute, flags: NetlinkMessage.create | NetlinkMessage.excl)
        // struct rtmsg: family, dst_len, src_len, tos, table (main), protocol (static),
        // scope (universe with a gateway, link without), type (unicast), flags.
        message.appendBytes([UInt8(family), UInt8(prefixLength), 0, 0, 254, 4, gateway == nil ? 253 : 0, 1])
        message.appendInteger(UInt32(0))
        if let destination { message.attribute(Self.rtaDestination, destination) }
        if let gateway { message.attribute(Self.rtaGateway, gateway) }
        if let linkIndex { message.attribute(Self.rtaOutput, integer: linkIndex) }
        let object = destination.map { "route \(Self.text($0))/\(prefixLength)" } ?? "default route"
        try perform(message, "RTM_NEWROUTE", object)
    }

    /// The routes of the main table for `family`.
    public func routes(family: Int32 = AF_INET_VALUE) throws(NetworkingError) -> [Route] {
        var message = NetlinkMessage(type: Self.getRoute, flags: NetlinkMessage.dump)
        message.appendBytes([UInt8(family), 0, 0, 0, 0, 0, 0, 0])
        message.appendInteger(UInt32(0))
        return try request(message, "RTM_GETROUTE", "all routes").compactMap { body -> Route? in
            guard body.count >= 12 else { return nil }
            let attributes = NetlinkAttributes(body.dropFirst(12))
            let table = attributes.uint32(Self.rtaTable) ?? UInt32(body[body.startIndex + 4])
            guard table == 254 else { return nil }
            return Route(family: Int32(body[body.startIndex]), destination: attributes[Self.rtaDestination].map(Array.init) ?? [],
                         prefixLength: Int(body[body.startIndex + 1]), gateway: attributes[Self.rtaGateway].map(Array.init),
                         outputLink: attributes.uint32(Self.rtaOutput).map { Int32(bitPattern: $0) })
        }
    }

    // MARK: helpers

    public func index(of link: String) throws(NetworkingError) -> Int32 {
        guard let found = try self.link(named: link) else {
            throw NetworkingError(.netlink, object: link, "netlink RTM_GETLINK \(link): no such device", errno: ENODEV)
        }
        return found.index
    }

    private func changeLink(_ link: String, _ what: String, flags: UInt32 = 0, change: UInt32 = 0,
                            _ attributes: (inout NetlinkMessage) -> Void) throws(NetworkingError) {
        // Index 0 with IFLA_IFNAME: the kernel looks the link up by name, in one round trip.
        var message = NetlinkMessage(type: Self.newLink, flags: 0)
        message.appendLinkInfo(flags: flags, change: change)
        message.attribute(Self.iflaName, string: link)
        attributes(&message)
        try perform(message, "RTM_NEWLINK", "\(link) (\(what))")
    }

    private func changeAddress(_ type: UInt16, _ link: String, family: Int32, address: [UInt8], prefixLength: Int) throws(NetworkingError) {
        let linkIndex = try index(of: link)
        var message = NetlinkMessage(type: type, flags: type == Self.newAddr ? NetlinkMessage.create | NetlinkMessage.excl : 0)
        // struct ifaddrmsg: family, prefixlen, flags (IFA_F_NODAD for IPv6), scope (universe), index.
        message.appendBytes([UInt8(family), UInt8(prefixLength), family == AF_INET6_VALUE ? 0x02 : 0, 0])
        message.appendInteger(UInt32(bitPattern: linkIndex))
        message.attribute(Self.ifaLocal, address)
        message.attribute(Self.ifaAddress, address)
        if family == AF_INET_VALUE, prefixLength < 31, let ip = IPv4Address(bytes: address) {
            message.attribute(Self.ifaBroadcast, IPv4Subnet(ip, prefixLength: prefixLength).last.bytes)
        }
        try perform(message, type == Self.newAddr ? "RTM_NEWADDR" : "RTM_DELADDR", "\(link) \(Self.text(address))/\(prefixLength)")
    }

    static func parseLink(_ body: ArraySlice<UInt8>) -> Link? {
        guard body.count >= 16 else { return nil }
        let attributes = NetlinkAttributes(body.dropFirst(16))
        guard let name = attributes.string(Self.iflaName) else { return nil }
        let mac = attributes[Self.iflaAddress].flatMap { $0.count == 6 ? $0.map { hex($0) }.joined(separator: ":") : nil }
        return Link(index: Int32(bitPattern: body.readInteger(at: body.startIndex + 4, as: UInt32.self)), name: name,
                    kind: attributes.nested(Self.iflaLinkInfo)?.string(Self.infoKind),
                    master: attributes.uint32(Self.iflaMaster).map { Int32(bitPattern: $0) },
                    mtu: attributes.uint32(Self.iflaMTU), macAddress: mac,
                    isUp: body.readInteger(at: body.startIndex + 8, as: UInt32.self) & Self.iffUp != 0)
    }

    /// An address for messages: dotted quad for IPv4, hex groups for IPv6.
    static func text(_ address: [UInt8]) -> String {
        IPv4Address(bytes: address).map(\.description) ?? IPv6Address(bytes: address).map(\.description)
            ?? address.map { hex($0) }.joined(separator: ":")
    }

    private static func hex(_ byte: UInt8) -> String {
        let text = String(byte, radix: 16)
        return text.count == 1 ? "0" + text : text
    }

    /// Sends a change with NLM_F_ACK and waits for the acknowledgement.
    private func perform(_ message: NetlinkMessage, _ name: String, _ object: String) throws(NetworkingError) {
        var acked = message
        acked.flags |= NetlinkMessage.ack
        _ = try request(acked, name, object)
    }

    /// One exchange: sends `message` and returns the bodies of the replies (after their
    /// headers) up to the ACK or NLMSG_DONE.
    private func request(_ message: NetlinkMessage, _ name: String, _ object: String) throws(NetworkingError) -> [ArraySlice<UInt8>] {
        try exchange.withLock { (sequence: inout UInt32) throws(NetworkingError) -> [ArraySlice<UInt8>] in
            sequence &+= 1
            let expected = sequence
            var out = message
            out.flags |= NetlinkMessage.request
            let bytes = out.encoded(sequence: expected)
            let sent = bytes.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, 0) }
            if sent < 0 { throw .system("send \(name)", object) }
            let isDump = message.flags & NetlinkMessage.dump == NetlinkMessage.dump
            let wantsAck = message.flags & NetlinkMessage.ack != 0
            var bodies: [ArraySlice<UInt8>] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let received = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
                if received < 0 {
                    if errno == EINTR { continue }
                    throw .system("recv \(name)", object)
                }
                let chunk = buffer[0..<received]
                var offset = 0
                while offset + NetlinkMessage.headerSize <= received {
                    let length = Int(chunk.readInteger(at: offset, as: UInt32.self))
                    let type = chunk.readInteger(at: offset + 4, as: UInt16.self)
                    let replySequence = chunk.readInteger(at: offset + 8, as: UInt32.self)
                    guard length >= NetlinkMessage.headerSize, offset + length <= received else {
                        throw NetworkingError(.protocolError, object: object, "netlink \(name): truncated reply")
                    }
                    let body = ArraySlice(Array(chunk[(offset + NetlinkMessage.headerSize)..<(offset + length)]))
                    offset += (length + 3) & ~3
                    // A reply to an earlier exchange that gave up (timeout) is not ours.
                    guard replySequence == expected else { continue }
                    switch type {
                    case NetlinkMessage.error:
                        let code = body.count >= 4 ? Int32(bitPattern: body.readInteger(at: body.startIndex, as: UInt32.self)) : -EPROTO
                        if code != 0 {
                            throw NetworkingError(.netlink, object: object, "netlink \(name) \(object): \(String(cString: strerror(-code)))", errno: -code)
                        }
                        return bodies  // the ACK
                    case NetlinkMessage.done:
                        return bodies
                    default:
                        bodies.append(body)
                        if !isDump && !wantsAck { return bodies }
                    }
                }
            }
        }
    }
}
