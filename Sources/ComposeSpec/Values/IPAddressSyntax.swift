/// Textual IPv4 / IPv6 address checks with the rules of Go's `net.ParseIP`, which compose uses to
/// validate `host_ip` in ports: dotted IPv4 without leading zeros, IPv6 with at most one `::` and
/// an optional trailing dotted IPv4, and no zone (`%eth0`).
enum IPAddressSyntax {
    static func isValid(_ text: Substring) -> Bool {
        text.contains(":") ? isIPv6(text) : isIPv4(text)
    }

    static func isIPv4(_ text: Substring) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in
            guard (1...3).contains(part.count), part.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let value = Int(part), value <= 255
            else { return false }
            return part.count == 1 || part.first != "0"
        }
    }

    static func isIPv6(_ text: Substring) -> Bool {
        var groups = 0  // 16-bit groups written out
        let compressed = text.ranges(of: "::")
        guard compressed.count <= 1 else { return false }
        var halves: [Substring] = []
        if let gap = compressed.first {
            halves = [text[..<gap.lowerBound], text[gap.upperBound...]]
        } else {
            halves = [text]
        }
        for (index, half) in halves.enumerated() where !half.isEmpty {
            let fields = half.split(separator: ":", omittingEmptySubsequences: false)
            for (position, field) in fields.enumerated() {
                let isLast = index == halves.count - 1 && position == fields.count - 1
                if isLast && field.contains(".") {
                    guard isIPv4(field) else { return false }
                    groups += 2
                } else {
                    guard (1...4).contains(field.count), field.allSatisfy({ $0.isASCII && $0.isHexDigit }) else { return false }
                    groups += 1
                }
            }
        }
        return compressed.isEmpty ? groups == 8 : groups <= 7
    }
}
