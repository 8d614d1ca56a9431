import Foundation
import OCISpec
import Testing
@testable import Images

/// `Retry-After` on 429 and 503: waited for when within the client's bound, failed at once with
/// the asked wait when beyond it, and ignored where HTTP does not give it that meaning.
@Suite struct RetryAfterTests {
    static let imfDate = "Sun, 06 Nov 1994 08:49:37 GMT"
    static let imfInstant = Date(timeIntervalSince1970: 784_111_777)

    @Test("Retry-After parses as delta-seconds or an HTTP-date, and nothing else", arguments: [
        ("3", Duration?.some(.seconds(3))),
        (" 0 ", .some(.zero)),
        (imfDate, .some(.seconds(10))),              // ten seconds after `now`
        ("Sun, 06 Nov 1994 08:49:17 GMT", .some(.zero)),  // in the past: no wait
        ("soon", nil),
        ("-5", nil),
        ("1.5", nil),
        ("", nil),
    ])
    func parse(header: String, expected: Duration?) {
        #expect(RetryDelay.parse(header, now: Self.imfInstant.addingTimeInterval(-10)) == expected)
    }

    @Test("the delay honours Retry-After on 429 and 503 only, within the bound", arguments: [
        (429, "2", RetryDelay.wait(.seconds(2))),
        (503, "2", .wait(.seconds(2))),
        (503, "3600", .tooLong(.seconds(3600))),
        (500, "2", .wait(.seconds(1))),      // not 429/503: back-off for attempt 2
        (429, "later", .wait(.seconds(1))),  // unreadable header: back-off
    ])
    func decide(status: Int, header: String, expected: RetryDelay) {
        #expect(RetryDelay.decide(status: status, retryAfter: header, attempt: 2, limit: .seconds(30)) == expected)
    }

    static func client(_ server: ScriptedHTTPServer, limit: Duration = .seconds(30)) -> RegistryClient {
        RegistryClient(endpoint: RegistryEndpoint(registry: server.address), credential: nil, retries: 3, maximumRetryDelay: limit)
    }

    @Test("a 429 with Retry-After is retried after the wait it asks for, not before")
    func waitsOnRequest() async throws {
        let server = try ScriptedHTTPServer([
            .init(status: 429, headers: ["Retry-After": "2"]),
            .init(status: 200, body: Data("{}".utf8)),
        ])
        defer { server.stop() }
        try await Self.client(server).verifyLogin()
        let requests = server.requests
        try #require(requests.count == 2, "one refused request and one retry")
        let waited = requests[0].arrived.duration(to: requests[1].arrived)
        // No upper bound: with the suite's blocking tests sharing two cores, a retry can come late.
        #expect(waited >= .seconds(2), "the retry came \(waited) after the 429")
    }

    @Test("a 503 asking for longer than the bound fails at once, saying how long to wait")
    func refusesLongWait() async throws {
        let server = try ScriptedHTTPServer([.init(status: 503, headers: ["Retry-After": "3600"])])
        defer { server.stop() }
        let error = await #expect(throws: ImageError.self) { try await Self.client(server, limit: .seconds(5)).verifyLogin() }
        // Ignoring the header would retry after back-off (4 requests); waiting out the bound
        // would retry once (2). One request means it gave up at once. Timing is not asserted:
        // on a loaded machine it measures the machine.
        #expect(server.requests.count == 1, "no waiting for an answer that will not change")
        #expect(error?.code == .registryError)
        #expect(error?.message.contains("3600 s") == true, "\(String(describing: error))")
    }

    @Test("a blob download answered 429 with Retry-After resumes after the wait and stores the blob")
    func waitsOnBlob() async throws {
        let content = Data("layer bytes".utf8)
        let descriptor = Descriptor(mediaType: .ociLayerTar, digest: ContentStore.digest(of: content), size: Int64(content.count))
        let server = try ScriptedHTTPServer([
            .init(status: 429, headers: ["Retry-After": "1"]),
            .init(status: 200, body: content),
        ])
        defer { server.stop() }
        let directory = try TemporaryDirectory()
        let store = try ImageStore(dataDirectory: directory.path("data"))
        let stored = try await Self.client(server).fetchBlob(repository: "berth/test", descriptor, into: store.content)
        #expect(stored.digest == descriptor.digest)
        #expect(try store.content.readBlob(descriptor.digest) == content)
        let requests = server.requests
        try #require(requests.count == 2)
        #expect(requests[0].arrived.duration(to: requests[1].arrived) >= .seconds(1))
    }
}
