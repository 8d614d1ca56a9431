import ComposeSpec
import Foundation
import Testing

/// Every error names the file, line, column and key path. Each case: a compose file, the
/// expected `file:line:column: path` prefix, and a word the message must contain.
@Suite struct DiagnosticsTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let yaml: String
        let prefix: String
        let mentions: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "unknown service key", yaml: "services:\n  web:\n    image: x\n    imagee: y\n",
             prefix: "compose.yaml:4:5: services.web", mentions: "did you mean \"image\""),
        Case(name: "unknown top-level key", yaml: "servics:\n  web:\n    image: x\n",
             prefix: "compose.yaml:1:1", mentions: "unknown top-level key"),
        Case(name: "wrong type", yaml: "services:\n  web:\n    image: x\n    ports: 80\n",
             prefix: "compose.yaml:4:12: services.web.ports", mentions: "must be a list"),
        Case(name: "bad port", yaml: "services:\n  web:\n    image: x\n    ports:\n      - \"80\"\n      - \"80:x\"\n",
             prefix: "compose.yaml:6:9: services.web.ports[1]", mentions: "80:x"),
        Case(name: "bad duration", yaml: "services:\n  web:\n    image: x\n    stop_grace_period: 10 parsecs\n",
             prefix: "compose.yaml:4:24: services.web.stop_grace_period", mentions: "duration"),
        Case(name: "bad size", yaml: "services:\n  web:\n    image: x\n    mem_limit: lots\n",
             prefix: "compose.yaml:4:16: services.web.mem_limit", mentions: "lots"),
        Case(name: "depends_on a missing service",
             yaml: "services:\n  web:\n    image: x\n    depends_on:\n      - db\n",
             prefix: "compose.yaml:5:9: services.web.depends_on.db", mentions: "undefined service \"db\""),
        Case(name: "dependency cycle",
             yaml: "services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n    depends_on: [a]\n",
             prefix: "compose.yaml:1:1: services", mentions: "a → b → a"),
        Case(name: "network_mode to a missing service",
             yaml: "services:\n  a:\n    image: x\n    network_mode: service:ghost\n",
             prefix: "compose.yaml:4:19: services.a.network_mode.ghost", mentions: "ghost"),
        Case(name: "network_mode with networks",
             yaml: "services:\n  a:\n    image: x\n    network_mode: host\n    networks: [front]\nnetworks:\n  front:\n",
             prefix: "compose.yaml:5:5: services.a.networks", mentions: "cannot be combined"),
        Case(name: "undefined network", yaml: "services:\n  a:\n    image: x\n    networks: [back]\n",
             prefix: "compose.yaml:4:16: services.a.networks.back", mentions: "undefined network"),
        Case(name: "undefined volume", yaml: "services:\n  a:\n    image: x\n    volumes:\n      - data:/data\n",
             prefix: "compose.yaml:5:9: services.a.volumes[0]", mentions: "undefined volume \"data\""),
        Case(name: "undefined secret", yaml: "services:\n  a:\n    image: x\n    secrets: [token]\n",
             prefix: "compose.yaml:4:15: services.a.secrets.token", mentions: "undefined secret"),
        Case(name: "duplicate key", yaml: "services:\n  a:\n    image: x\n    image: y\n",
             prefix: "compose.yaml:4:5", mentions: "duplicate key \"image\""),
        Case(name: "invalid interpolation", yaml: "services:\n  a:\n    image: \"${oops\"\n",
             prefix: "compose.yaml:3:12: services.a.image", mentions: "interpolation"),
        Case(name: "required variable", yaml: "services:\n  a:\n    image: \"${TAG:?set TAG first}\"\n",
             prefix: "compose.yaml:3:12: services.a.image", mentions: "set TAG first"),
        Case(name: "bad restart policy", yaml: "services:\n  a:\n    image: x\n    restart: sometimes\n",
             prefix: "compose.yaml:4:14: services.a.restart", mentions: "sometimes"),
        Case(name: "bad depends_on condition",
             yaml: "services:\n  a:\n    image: x\n    depends_on:\n      b: {condition: service_ready}\n  b:\n    image: x\n",
             prefix: "compose.yaml:5:22: services.a.depends_on.b.condition", mentions: "service_ready"),
        Case(name: "duplicate container_name",
             yaml: "services:\n  a:\n    image: x\n    container_name: one\n  b:\n    image: x\n    container_name: one\n",
             prefix: "compose.yaml:7:5: services.b.container_name", mentions: "already used by service \"a\""),
        Case(name: "empty file", yaml: "", prefix: "compose.yaml:1:1", mentions: "empty"),
        Case(name: "scalar at the top", yaml: "just a string\n", prefix: "compose.yaml:1:1", mentions: "mapping"),
        Case(name: "YAML syntax", yaml: "services:\n  a: [unclosed\n", prefix: "compose.yaml:3:1", mentions: "flow sequence"),
    ]

    @Test("errors name file, line, column and key", arguments: cases)
    func located(_ testCase: Case) throws {
        let fixture = try TestProject(["compose.yaml": testCase.yaml])
        let error = try #require(fixture.error())
        #expect(error.description.hasPrefix(testCase.prefix), "\(error.description)")
        #expect(error.description.contains(testCase.mentions), "\(error.description)")
    }
}

@Suite struct LongFormKeyTests {
    @Test("unknown keys inside long-form ports and volumes are rejected where written", arguments: [
        ("services:\n  a:\n    image: x\n    ports:\n      - target: 80\n        publishd: 8080\n", "compose.yaml:6:9: services.a.ports[0]"),
        ("services:\n  a:\n    image: x\n    volumes:\n      - type: tmpfs\n        target: /t\n        tmpfs: {sise: 1m}\n", "compose.yaml:7:17: services.a.volumes[0].tmpfs"),
    ])
    func unknownNestedKey(yaml: String, prefix: String) throws {
        let error = try #require(try TestProject(["compose.yaml": yaml]).error())
        #expect(error.code == .unknownKey)
        #expect(error.description.hasPrefix(prefix), "\(error.description)")
    }
}
