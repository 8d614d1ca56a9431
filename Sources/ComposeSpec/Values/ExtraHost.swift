/// An `extra_hosts` list entry, `host=address` or `host:address`, as compose-go reads it.
///
/// `=` is tried first, so `host=::1` and `host:::1` both give `::1`; an address in brackets
/// (`host:[::1]`) loses them. An entry may list several addresses separated by commas
/// (`host=10.0.0.1,10.0.0.2`): `parseAll` returns each, `parse` the single one.
public enum ExtraHost {
    /// Parses an entry with exactly one address.
    public static func parse(_ entry: String) throws(ComposeValueError) -> (host: String, address: String) {
        let all = try parseAll(entry)
        guard all.count == 1, let only = all.first else {
            throw ComposeValueError("extra host \"\(entry)\" lists \(all.count) addresses where one is expected")
        }
        return only
    }

    /// Parses an entry into one pair per comma-separated address, in order.
    public static func parseAll(_ entry: String) throws(ComposeValueError) -> [(host: String, address: String)] {
        guard let separator = entry.firstIndex(of: "=") ?? entry.firstIndex(of: ":") else {
            throw ComposeValueError("invalid extra host \"\(entry)\": missing IP address (expected HOST=IP or HOST:IP)")
        }
        let host = String(entry[..<separator])
        // compose-go checks the name so that a misplaced separator gets a clear error here rather
        // than an odd split later.
        guard !host.isEmpty, !host.contains(":"), !host.contains("=") else {
            throw ComposeValueError("invalid extra host \"\(entry)\": bad host name \"\(host)\" (expected HOST=IP or HOST:IP)")
        }
        return entry[entry.index(after: separator)...]
            .split(separator: ",", omittingEmptySubsequences: false)
            .map { address in
                let bare = address.count > 2 && address.first == "[" && address.last == "]"
                    ? address.dropFirst().dropLast() : address
                return (host, String(bare))
            }
    }
}
