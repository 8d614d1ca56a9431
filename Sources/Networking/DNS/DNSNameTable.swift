/// The names one network's DNS server answers for itself: service names, container names,
/// `container_name`, `hostname` and `aliases` of the containers on that network, each with the
/// addresses it has there. A scaled service's name has one address per replica.
///
/// Names are matched without regard to case and without a trailing dot.
public struct DNSNameTable: Sendable, Hashable, Codable {
    /// Name (lowercased, no trailing dot) → addresses, in replica order.
    public private(set) var entries: [String: [IPAddress]]
    /// Address → the name a PTR query for it answers.
    public private(set) var reverse: [IPAddress: String]

    /// A table from names to addresses. `reverse` names what a PTR query answers for an address;
    /// by default the first (in sorted order) of the names that point at that address alone, so
    /// that a replica's container name wins over its scaled service's name.
    public init(_ entries: [String: [IPAddress]] = [:], reverse: [IPAddress: String]? = nil) {
        var normalized: [String: [IPAddress]] = [:]
        for (name, addresses) in entries {
            let key = DNSNameTable.normalize(name)
            guard !key.isEmpty else { continue }
            for address in addresses where !(normalized[key]?.contains(address) ?? false) {
                normalized[key, default: []].append(address)
            }
        }
        self.entries = normalized
        if let reverse {
            self.reverse = reverse.mapValues(DNSNameTable.normalize)
        } else {
            var derived: [IPAddress: String] = [:]
            for name in normalized.keys.sorted() {
                guard let addresses = normalized[name] else { continue }
                for address in addresses {
                    let specific = addresses.count == 1
                    if let existing = derived[address], !(specific && (normalized[existing]?.count ?? 0) > 1) { continue }
                    derived[address] = name
                }
            }
            self.reverse = derived
        }
    }

    static func normalize(_ name: String) -> String {
        var name = name.lowercased()
        while name.hasSuffix(".") { name.removeLast() }
        return name
    }
}
