import Foundation
import Testing
import OCISpec
@testable import Images

@Suite("Pull policies, credentials, registries.conf and challenges")
struct RegistryConfigurationTests {
    @Test("pull policies parse as compose spells them", arguments: [
        ("always", PullPolicy.always), ("missing", .missing), ("if_not_present", .missing), ("never", .never),
        ("build", .build), ("daily", .every(seconds: 86_400)), ("weekly", .every(seconds: 604_800)),
        ("every_12h", .every(seconds: 43_200)), ("every_1h30m", .every(seconds: 5400)), ("every_90s", .every(seconds: 90)),
    ])
    func policies(text: String, expected: PullPolicy) throws {
        #expect(try PullPolicy(parsing: text) == expected)
    }

    @Test("malformed pull policies are refused", arguments: ["sometimes", "every_", "every_5x", "every_h", "every_0s"])
    func badPolicies(text: String) {
        #expect(throws: ImageError.self) { try PullPolicy(parsing: text) }
    }

    @Test("a policy decides from presence and the last pull time")
    func policyDecisions() {
        let now = Date(timeIntervalSince1970: 1_000_000)
        let hourAgo = now.addingTimeInterval(-3600)
        #expect(PullPolicy.missing.shouldPull(localPulledAt: nil, present: false, now: now))
        #expect(!PullPolicy.missing.shouldPull(localPulledAt: hourAgo, present: true, now: now))
        #expect(PullPolicy.always.shouldPull(localPulledAt: hourAgo, present: true, now: now))
        #expect(!PullPolicy.never.shouldPull(localPulledAt: nil, present: false, now: now))
        #expect(!PullPolicy.every(seconds: 7200).shouldPull(localPulledAt: hourAgo, present: true, now: now))
        #expect(PullPolicy.every(seconds: 1800).shouldPull(localPulledAt: hourAgo, present: true, now: now))
    }

    @Test("credentials are found in the first auth file that has them, docker.io under its legacy key")
    func authFiles() throws {
        let scratch = try TemporaryDirectory()
        let podman = scratch.path("containers/auth.json")
        let docker = scratch.path("docker/config.json")
        try FileManager.default.createDirectory(at: docker.deletingLastPathComponent(), withIntermediateDirectories: true)
        let hub = Data("hubuser:hubpass".utf8).base64EncodedString()
        try Data(#"{"auths":{"https://index.docker.io/v1/":{"auth":"\#(hub)"}}}"#.utf8).write(to: docker)
        let file = AuthFile(searchPath: [podman, docker])

        #expect(file.credential(for: "docker.io") == Credential(username: "hubuser", password: "hubpass"))
        try file.store(Credential(username: "me", password: "p:w"), for: "localhost:5000")
        #expect(file.credential(for: "localhost:5000") == Credential(username: "me", password: "p:w"))
        #expect(try file.remove(for: "localhost:5000"))
        #expect(file.credential(for: "localhost:5000") == nil)
        #expect(try !file.remove(for: "localhost:5000"))
    }

    @Test("registries.conf gives search registries and insecure registries")
    func registriesConf() throws {
        let configuration = RegistriesConfiguration.parse("""
        # comment
        unqualified-search-registries = ["registry.example.com", "docker.io"]

        [[registry]]
        location = "lab.internal:5000"
        insecure = true

        [[registry]]
        location = "quay.io"
        """)
        #expect(configuration.unqualifiedSearchRegistries == ["registry.example.com", "docker.io"])
        #expect(configuration.insecureRegistries == ["lab.internal:5000"])
        #expect(configuration.allowsPlainHTTP("lab.internal:5000"))
        #expect(configuration.allowsPlainHTTP("localhost:5000"))
        #expect(configuration.allowsPlainHTTP("127.0.0.1:5000"))
        #expect(!configuration.allowsPlainHTTP("quay.io"))
        #expect(RegistryEndpoint(registry: "quay.io", configuration: configuration).baseURL.absoluteString == "https://quay.io")
        #expect(RegistryEndpoint(registry: "docker.io").baseURL.absoluteString == "https://registry-1.docker.io")
        let puller = ImagePuller(store: try ImageStore(dataDirectory: FileManager.default.temporaryDirectory
            .appendingPathComponent("berth-conf-\(UUID().uuidString)")), registries: configuration)
        #expect(try puller.reference(for: "team/app").description == "registry.example.com/team/app:latest")
        #expect(try puller.reference(for: "quay.io/team/app").description == "quay.io/team/app:latest")
    }

    @Test("WWW-Authenticate challenges parse", arguments: [
        (#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/redis:pull""#,
         "bearer", ["realm": "https://auth.docker.io/token", "service": "registry.docker.io", "scope": "repository:library/redis:pull"]),
        (#"Basic realm="berth-test""#, "basic", ["realm": "berth-test"]),
        ("Basic", "basic", [:]),
    ])
    func challenges(header: String, scheme: String, parameters: [String: String]) throws {
        let challenge = try #require(AuthChallenge(header))
        #expect(challenge.scheme == scheme)
        #expect(challenge.parameters == parameters)
    }
}
