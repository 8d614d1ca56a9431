import Foundation
import GRDB

/// One network attachment of a running container: what `observe`, `ps` and the DNS server read.
public struct AttachmentRecord: Codable, Sendable, Hashable {
    /// The engine-wide network name.
    public var network: String
    /// The interface inside the container (`eth0`).
    public var interface: String
    /// The host end of the veth pair.
    public var hostInterface: String
    public var ipv4Address: String
    public var prefixLength: Int
    public var gateway: String?
    public var macAddress: String
    /// Names the container answers to on this network (service, hostname, aliases).
    public var aliases: [String]
    /// On networks with `enable_ipv6`.
    public var ipv6Address: String?

    public init(network: String, interface: String, hostInterface: String, ipv4Address: String, prefixLength: Int,
                gateway: String?, macAddress: String, aliases: [String], ipv6Address: String? = nil) {
        self.network = network
        self.interface = interface
        self.hostInterface = hostInterface
        self.ipv4Address = ipv4Address
        self.prefixLength = prefixLength
        self.gateway = gateway
        self.macAddress = macAddress
        self.aliases = aliases
        self.ipv6Address = ipv6Address
    }
}

/// An address of a network and who had it: `owner` is a stable identity that outlives the
/// container (a compose replica `project/service/number`), `container` the id holding it now
/// (nil once released). Released leases are kept so the owner gets its address back.
public struct LeaseRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "lease"

    public var network: String
    public var address: String
    public var owner: String
    public var container: String?
    public var updatedAt: Date

    public init(network: String, address: String, owner: String, container: String?, updatedAt: Date = Date()) {
        self.network = network
        self.address = address
        self.owner = owner
        self.container = container
        self.updatedAt = updatedAt
    }
}

extension StateStore {
    /// The leases of `network`.
    public func leases(network: String) throws(StateError) -> [LeaseRecord] {
        try read { db in try LeaseRecord.filter(Column("network") == network).fetchAll(db) }
    }

    /// Gives an address of `network` to `container` for `owner`, in one transaction: `choose`
    /// sees the network's leases as they are inside it and returns the address; the owner's
    /// other leases on the network are dropped so it holds one.
    public func acquireLease(network: String, owner: String, container: String,
                             choose: ([LeaseRecord]) throws -> String) throws(StateError) -> String {
        try write { db in
            let leases = try LeaseRecord.filter(Column("network") == network).fetchAll(db)
            let address = try choose(leases)
            try LeaseRecord.filter(Column("network") == network && Column("owner") == owner && Column("address") != address).deleteAll(db)
            try LeaseRecord(network: network, address: address, owner: owner, container: container).save(db)
            return address
        }
    }

    /// Releases every address `container` holds; the leases stay for their owners.
    public func releaseLeases(container: String) throws(StateError) {
        try write { db in
            try db.execute(sql: "UPDATE lease SET container = NULL, updatedAt = ? WHERE container = ?", arguments: [Date(), container])
        }
    }

    /// Forgets the leases of a removed network.
    public func removeLeases(network: String) throws(StateError) {
        try write { db in _ = try LeaseRecord.filter(Column("network") == network).deleteAll(db) }
    }
}
