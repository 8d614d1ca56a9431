import Foundation
import Testing
@testable import ComposeSpec

/// Short-syntax cases from compose-go's loader tests, its full example, and go-connections' `nat`.
@Suite struct PortTests {
    /// A compact rendering of parsed ports: `[host_ip]|published|target/protocol`, one per entry.
    static func render(_ ports: [ServicePort]) -> [String] {
        ports.map { port in
            #expect(port.mode == "ingress")
            return "\(port.hostIP ?? "")|\(port.published ?? "")|\(port.target)/\(port.protocol ?? "?")"
        }
    }

    @Test("parses the short syntax into compose-go's long form", arguments: [
        ("80", ["||80/tcp"]),
        ("3000", ["||3000/tcp"]),
        ("8080:80", ["|8080|80/tcp"]),
        ("90:8090/udp", ["|90|8090/udp"]),
        ("90:8090/UDP", ["|90|8090/udp"]),
        ("9:9/sctp", ["|9|9/sctp"]),
        ("80/", ["||80/tcp"]),
        ("49100:22", ["|49100|22/tcp"]),
        ("127.0.0.1:8080:80", ["127.0.0.1|8080|80/tcp"]),
        ("127.0.0.1::80", ["127.0.0.1||80/tcp"]),
        ("0.0.0.0:80:80/udp", ["0.0.0.0|80|80/udp"]),
        ("[::1]:8080:80", ["::1|8080|80/tcp"]),
        ("[::1]::80", ["::1||80/tcp"]),
        ("::1:8080:80", ["::1|8080|80/tcp"]),
        (":80", ["||80/tcp"]),  // an empty host port is no host port, as in go-connections
        ("::ffff:10.0.0.1:53:53/udp", ["::ffff:10.0.0.1|53|53/udp"]),
        ("3001-3005", ["||3001/tcp", "||3002/tcp", "||3003/tcp", "||3004/tcp", "||3005/tcp"]),
        ("80-82:8080-8082", ["|80|8080/tcp", "|81|8081/tcp", "|82|8082/tcp"]),
        ("9090-9091:8080-8081", ["|9090|8080/tcp", "|9091|8081/tcp"]),
        ("8000-8010:80", ["|8000-8010|80/tcp"]),
        ("127.0.0.1:5000-5001:5000-5001", ["127.0.0.1|5000|5000/tcp", "127.0.0.1|5001|5001/tcp"]),
        ("8-11:8-11", ["|10|10/tcp", "|11|11/tcp", "|8|8/tcp", "|9|9/tcp"]),
        ("80-80:80", ["|80|80/tcp"]),
        ("080:+80", ["|80|80/tcp"]),
        ("0", ["||0/tcp"]),
    ] as [(String, [String])])
    func parsesShort(text: String, expected: [String]) throws {
        #expect(try Self.render(ServicePort.parseShort(text)) == expected)
    }

    @Test("rejects malformed short syntax, saying why", arguments: [
        ("", "no container port"),
        ("80:x", "invalid container port \"x\""),
        ("x:80", "invalid host port \"x\""),
        ("80:65536", "invalid container port \"65536\""),
        ("-1", "invalid container port \"-1\""),
        ("80/http", "unknown protocol \"http\", use tcp, udp or sctp"),
        ("8080:80/tcp/udp", "unknown protocol \"tcp/udp\", use tcp, udp or sctp"),
        ("127.0.1:8080:80", "invalid IP address \"127.0.1\""),
        ("localhost:8080:80", "invalid IP address \"localhost\""),
        ("010.0.0.1:8080:80", "invalid IP address \"010.0.0.1\""),
        ("[::1:8080:80", "invalid IP address \"[::1\""),
        ("1:2:3:4:5:6:7:8:9:80:80", "invalid IP address \"1:2:3:4:5:6:7:8:9\""),
        ("80-81:90-92", "host range 80-81 and container range 90-92 differ in length"),
        ("82-80", "invalid container port \"82-80\""),
        ("80-", "invalid container port \"80-\""),
        ("[fe80::1%eth0]:80:80", "invalid IP address \"fe80::1%eth0\""),
    ] as [(String, String)])
    func rejectsShort(text: String, reason: String) {
        #expect(throws: ComposeValueError(
            "invalid port \"\(text)\": \(reason) (expected [[HOST_IP:]HOST_PORT:]CONTAINER_PORT[/PROTOCOL])")) {
            try ServicePort.parseShort(text)
        }
    }

    @Test("validates a long-form entry", arguments: [
        (ServicePort(target: 80), nil),
        (ServicePort(mode: "host", hostIP: "::1", target: 65_535, published: "8000-8010", protocol: "udp"), nil),
        (ServicePort(target: 0), "invalid target port 0 (expected 1-65535)"),
        (ServicePort(target: 70_000), "invalid target port 70000 (expected 1-65535)"),
        (ServicePort(target: 80, published: "x"), "invalid published port \"x\" (expected a port 0-65535 or a range like 8000-8010)"),
        (ServicePort(target: 80, published: "90-80"), "invalid published port \"90-80\" (expected a port 0-65535 or a range like 8000-8010)"),
        (ServicePort(target: 80, protocol: "icmp"), "invalid protocol \"icmp\" (expected tcp, udp or sctp)"),
        (ServicePort(mode: "global", target: 80), "invalid port mode \"global\" (expected ingress or host)"),
        (ServicePort(hostIP: "1.2.3", target: 80), "invalid host_ip \"1.2.3\" (expected an IPv4 or IPv6 address)"),
    ] as [(ServicePort, String?)])
    func validates(port: ServicePort, message: String?) {
        if let message {
            #expect(throws: ComposeValueError(message)) { try port.validate() }
        } else {
            #expect(throws: Never.self) { try port.validate() }
        }
    }

    @Test("encodes with compose's keys in field order and decodes numbers or strings")
    func codable() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let port = ServicePort(
            name: "web", mode: "ingress", hostIP: "127.0.0.1", target: 80, published: "8080", protocol: "tcp",
            appProtocol: "http")
        #expect(String(decoding: try encoder.encode(port), as: UTF8.self)
            == #"{"app_protocol":"http","host_ip":"127.0.0.1","mode":"ingress","name":"web","protocol":"tcp","published":"8080","target":80}"#)
        #expect(String(decoding: try encoder.encode(ServicePort(target: 80)), as: UTF8.self) == #"{"target":80}"#)

        let decoded = try JSONDecoder().decode(
            [ServicePort].self,
            from: Data(#"[{"target": 80, "published": 8080}, {"target": "81", "published": "8000-8010", "app_protocol": "h2"}]"#.utf8))
        #expect(decoded == [
            ServicePort(target: 80, published: "8080"),
            ServicePort(target: 81, published: "8000-8010", appProtocol: "h2"),
        ])
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(ServicePort.self, from: Data(#"{"target": "http"}"#.utf8))
        }
    }
}
