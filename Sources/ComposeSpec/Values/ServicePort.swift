/// One published or exposed port of a service, in compose's long syntax.
///
/// The short syntax (`"127.0.0.1:8080:80/udp"`) becomes one or more of these through
/// `parseShort(_:)`, exactly as compose-go converts it through go-connections' `nat` package.
public struct ServicePort: Sendable, Hashable, Codable {
    /// A human-readable name for the port (long syntax only).
    public var name: String?
    /// `ingress` (the compose default) or `host`.
    public var mode: String?
    /// The host address to bind to; nil binds every address.
    public var hostIP: String?
    /// The container port.
    public var target: Int
    /// The host port, or a range `8000-8010` to pick from; nil lets the engine choose.
    public var published: String?
    /// `tcp` (the compose default), `udp` or `sctp`.
    public var `protocol`: String?
    /// The application protocol (`http`, `grpc`…), informational.
    public var appProtocol: String?

    public init(
        name: String? = nil, mode: String? = nil, hostIP: String? = nil, target: Int,
        published: String? = nil, protocol: String? = nil, appProtocol: String? = nil
    ) {
        self.name = name
        self.mode = mode
        self.hostIP = hostIP
        self.target = target
        self.published = published
        self.protocol = `protocol`
        self.appProtocol = appProtocol
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, mode
        case hostIP = "host_ip"
        case target, published
        case `protocol`
        case appProtocol = "app_protocol"
    }

    /// Decodes the long syntax, where `target` and `published` may be written as numbers or strings.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decodeIfPresent(String.self, forKey: .name)
        mode = try container.decodeIfPresent(String.self, forKey: .mode)
        hostIP = try container.decodeIfPresent(String.self, forKey: .hostIP)
        if let number = try? container.decode(Int.self, forKey: .target) {
            target = number
        } else {
            let text = try container.decode(String.self, forKey: .target)
            guard let number = Int(text) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .target, in: container, debugDescription: "invalid port \"\(text)\" (expected a number)")
            }
            target = number
        }
        if let number = try? container.decodeIfPresent(Int.self, forKey: .published) {
            published = String(number)
        } else {
            published = try container.decodeIfPresent(String.self, forKey: .published)
        }
        `protocol` = try container.decodeIfPresent(String.self, forKey: .protocol)
        appProtocol = try container.decodeIfPresent(String.self, forKey: .appProtocol)
    }
}

extension ServicePort {
    /// Parses the short syntax `[[HOST_IP:]HOST_PORT:]CONTAINER_PORT[/PROTOCOL]`.
    ///
    /// Ports may be ranges (`9090-9091:8080-8081`); a container range gives one entry per container
    /// port, ordered as compose-go orders them (by the text `port/protocol`, so `10` sorts before `9`).
    /// A host range with a single container port stays a range to allocate from (`8000-8010:80`).
    /// The host IP may be IPv6, bracketed (`[::1]:8080:80`) or bare (`::1:8080:80`: the last two
    /// fields are the ports). Entries get `mode: ingress` and a lower-case protocol, `tcp` by default.
    public static func parseShort(_ text: String) throws(ComposeValueError) -> [ServicePort] {
        func failure(_ reason: String) -> ComposeValueError {
            ComposeValueError("invalid port \"\(text)\": \(reason) (expected [[HOST_IP:]HOST_PORT:]CONTAINER_PORT[/PROTOCOL])")
        }
        let fields = text.split(separator: ":", omittingEmptySubsequences: false)
        let containerField = fields[fields.count - 1]
        let hostPortText = fields.count >= 2 ? fields[fields.count - 2] : ""
        var hostIP = fields.count >= 3 ? Substring(fields.dropLast(2).joined(separator: ":")) : ""

        let slash = containerField.firstIndex(of: "/")
        let containerText = containerField[..<(slash ?? containerField.endIndex)]
        guard !containerText.isEmpty else { throw failure("no container port") }
        let protocolText = slash.map { containerField[containerField.index(after: $0)...] } ?? ""
        let proto = protocolText.isEmpty ? "tcp" : protocolText.lowercased()
        guard Self.protocols.contains(proto) else {
            throw failure("unknown protocol \"\(protocolText)\", use tcp, udp or sctp")
        }

        if hostIP.first == "[" {
            guard hostIP.last == "]", hostIP.count > 2 else { throw failure("invalid IP address \"\(hostIP)\"") }
            hostIP = hostIP.dropFirst().dropLast()
        }
        guard hostIP.isEmpty || IPAddressSyntax.isValid(hostIP) else {
            throw failure("invalid IP address \"\(hostIP)\"")
        }

        guard let container = PortRange(containerText) else {
            throw failure("invalid container port \"\(containerText)\"")
        }
        var host: PortRange?
        if !hostPortText.isEmpty {
            guard let range = PortRange(hostPortText) else { throw failure("invalid host port \"\(hostPortText)\"") }
            if range.count != container.count && container.count != 1 {
                throw failure("host range \(hostPortText) and container range \(containerText) differ in length")
            }
            host = range
        }

        var ports: [ServicePort] = []
        for offset in 0..<container.count {
            var published: String?
            if let host {
                published = String(host.lower + offset)
                if container.count == 1 && host.count != 1 { published = "\(host.lower)-\(host.upper)" }
            }
            ports.append(ServicePort(
                mode: "ingress", hostIP: hostIP.isEmpty ? nil : String(hostIP), target: container.lower + offset,
                published: published, protocol: proto))
        }
        if ports.count > 1 {
            // compose-go walks a map keyed by "port/proto" in sorted string order.
            ports.sort { "\($0.target)/\(proto)" < "\($1.target)/\(proto)" }
        }
        return ports
    }

    /// Checks a long-syntax entry: a target port 1-65535, a valid published port or range, a known
    /// protocol and mode.
    public func validate() throws(ComposeValueError) {
        guard (1...65_535).contains(target) else {
            throw ComposeValueError("invalid target port \(target) (expected 1-65535)")
        }
        if let published, !published.isEmpty, PortRange(Substring(published)) == nil {
            throw ComposeValueError("invalid published port \"\(published)\" (expected a port 0-65535 or a range like 8000-8010)")
        }
        if let proto = `protocol`, !Self.protocols.contains(proto) {
            throw ComposeValueError("invalid protocol \"\(proto)\" (expected tcp, udp or sctp)")
        }
        if let mode, mode != "ingress", mode != "host" {
            throw ComposeValueError("invalid port mode \"\(mode)\" (expected ingress or host)")
        }
        if let hostIP, !hostIP.isEmpty, !IPAddressSyntax.isValid(Substring(hostIP)) {
            throw ComposeValueError("invalid host_ip \"\(hostIP)\" (expected an IPv4 or IPv6 address)")
        }
    }

    private static let protocols: Set<String> = ["tcp", "udp", "sctp"]
}

/// A port or an inclusive port range as go-connections reads it: `80`, `8000-8010`, each number a
/// decimal 0-65535 (a sign and leading zeros allowed, as Go's `ParseInt`), the end not below the start.
struct PortRange: Sendable, Hashable {
    var lower: Int
    var upper: Int
    var count: Int { upper - lower + 1 }

    init?(_ text: Substring) {
        let dash = text.firstIndex(of: "-")
        let start = text[..<(dash ?? text.endIndex)]
        guard let lower = Self.port(start) else { return nil }
        self.lower = lower
        self.upper = lower
        guard let dash else { return }
        let end = text[text.index(after: dash)...]
        if end == start { return }
        guard let upper = Self.port(end), upper >= lower else { return nil }
        self.upper = upper
    }

    private static func port(_ text: Substring) -> Int? {
        let digits = text.first == "+" ? text.dropFirst() : text
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
              let value = Int(digits), value <= 65_535
        else { return nil }
        return value
    }
}
