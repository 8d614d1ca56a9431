import Testing
@testable import OCISpec

@Suite("Image references")
struct ImageReferenceTests {
    static let digest = "sha256:" + String(repeating: "ab", count: 32)

    typealias Row = (input: String, registry: String, repository: String, tag: String?, digest: String?)
    static let table: [Row] = [
        ("redis", "docker.io", "library/redis", "latest", nil),
        ("redis:7", "docker.io", "library/redis", "7", nil),
        ("bitnami/redis", "docker.io", "bitnami/redis", "latest", nil),
        ("docker.io/redis", "docker.io", "library/redis", "latest", nil),
        ("index.docker.io/library/redis:7.2-alpine", "docker.io", "library/redis", "7.2-alpine", nil),
        ("localhost:5000/x", "localhost:5000", "x", "latest", nil),
        ("localhost/x:dev", "localhost", "x", "dev", nil),
        ("quay.io/a/b/c:v1.0", "quay.io", "a/b/c", "v1.0", nil),
        ("[::1]:5000/app:1", "[::1]:5000", "app", "1", nil),
        ("Registry/app", "Registry", "app", "latest", nil),
        ("my_org/my__app/x-y--z", "docker.io", "my_org/my__app/x-y--z", "latest", nil),
        ("redis@\(digest)", "docker.io", "library/redis", nil, digest),
        ("redis:7@\(digest)", "docker.io", "library/redis", "7", digest),
        ("127.0.0.1:5000/ns/app@\(digest)", "127.0.0.1:5000", "ns/app", nil, digest),
    ]

    @Test("names normalise as docker does", arguments: table)
    func normalises(row: Row) throws {
        let (input, registry, repository, tag, digest) = row
        let reference = try ImageReference(parsing: input)
        #expect(reference.registry == registry)
        #expect(reference.repository == repository)
        #expect(reference.tag == tag)
        #expect(reference.digest?.description == digest)
        // The canonical form parses back to the same value.
        #expect(try ImageReference(parsing: reference.description) == reference)
    }

    static let malformed: [String] = [
        "", "Redis", "redis:", "redis:-x", "a//b", "/redis", "redis/", "a/.b", "a/b-", "a/b___c",
        "localhost:port/x", "redis@sha256:abc", "redis@md5:\(String(repeating: "0", count: 32))",
        "redis:\(String(repeating: "t", count: 129))", "bad_host.io:99999999/x",
    ]

    @Test("malformed names are refused with a reason", arguments: malformed)
    func refuses(input: String) {
        #expect(throws: OCISpecError.self) { try ImageReference(parsing: input) }
    }

    @Test("the manifest reference prefers the digest over the tag")
    func manifestReference() throws {
        #expect(try ImageReference(parsing: "redis:7").manifestReference == "7")
        #expect(try ImageReference(parsing: "redis:7@\(Self.digest)").manifestReference == Self.digest)
    }

    @Test("short names take the configured default registry")
    func defaultRegistry() throws {
        let reference = try ImageReference(parsing: "team/app", defaultRegistry: "registry.example.com")
        #expect(reference.description == "registry.example.com/team/app:latest")
        #expect(!ImageReference.hasExplicitRegistry("team/app"))
        #expect(ImageReference.hasExplicitRegistry("localhost/app"))
        #expect(ImageReference.hasExplicitRegistry("quay.io/app@\(Self.digest)"))
    }

    @Test("references round-trip through JSON as strings")
    func codable() throws {
        let reference = try ImageReference(parsing: "quay.io/a/b:1")
        let data = try JSONEncoder().encode([reference])
        #expect(String(decoding: data, as: UTF8.self) == #"["quay.io\/a\/b:1"]"#)
        #expect(try JSONDecoder().decode([ImageReference].self, from: data) == [reference])
    }
}

import Foundation
