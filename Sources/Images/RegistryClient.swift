import Foundation
import OCISpec
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A client for one registry's OCI distribution API.
///
/// Authentication follows the registry's `WWW-Authenticate` challenge: `Bearer` fetches a token
/// for the repository scope from the named realm (anonymously, or with the stored credential),
/// `Basic` sends the credential. Tokens are cached per scope for the life of the client.
/// Transient failures (connection lost, 5xx, 429) are retried with back-off, or after the wait a
/// 429/503 asks for in `Retry-After` when that is at most `maximumRetryDelay` (see `RetryDelay`).
public actor RegistryClient {
    public nonisolated let endpoint: RegistryEndpoint
    let credential: Credential?
    let retries: Int
    let maximumRetryDelay: Duration
    private var authorizations: [String: String] = [:]  // scope → Authorization header value

    /// A `Retry-After` longer than `maximumRetryDelay` fails the request at once instead of
    /// holding the command.
    public init(endpoint: RegistryEndpoint, credential: Credential?, retries: Int = 3,
                maximumRetryDelay: Duration = .seconds(30))
    {
        self.endpoint = endpoint
        self.credential = credential
        self.retries = retries
        self.maximumRetryDelay = maximumRetryDelay
    }

    /// The manifests Berth can read, in order of preference.
    static let manifestAccept = [MediaType.ociIndex, .dockerManifestList, .ociManifest, .dockerManifest]
        .map(\.rawValue).joined(separator: ", ")

    // MARK: API

    /// Fetches a manifest or index by tag or digest; checks it against the digest when pinned.
    public func manifest(_ reference: ImageReference) async throws(ImageError) -> (data: Data, mediaType: MediaType, digest: Digest) {
        var request = URLRequest(url: url("/v2/\(reference.repository)/manifests/\(reference.manifestReference)"))
        request.setValue(Self.manifestAccept, forHTTPHeaderField: "Accept")
        let (data, response) = try await send(request, scope: pullScope(reference.repository))
        switch response.statusCode {
        case 200: break
        case 404:
            throw ImageError(.imageNotFound, reference.description, "image not found: \(reference)")
        default:
            throw failure(response, data, about: reference.description)
        }
        let digest = ContentStore.digest(of: data)
        if let pinned = reference.digest, pinned != digest {
            throw ImageError(.digestMismatch, reference.description, "registry returned a manifest hashing to \(digest)")
        }
        let declared = response.value(forHTTPHeaderField: "Content-Type").map { MediaType($0.split(separator: ";")[0].trimmingCharacters(in: .whitespaces)) }
        let embedded = (try? JSONDecoder().decode(MediaTypeProbe.self, from: data))?.mediaType
        let mediaType = embedded ?? declared ?? .ociManifest
        guard mediaType.isIndex || mediaType.isManifest else {
            throw ImageError(.unsupportedMediaType, reference.description,
                             "unsupported manifest type \(mediaType) (Berth reads OCI and Docker schema 2)")
        }
        return (data, mediaType, digest)
    }

    /// Downloads a blob into the store, resuming a partial download, verifying size and digest.
    /// `progress` receives the byte count so far.
    public func fetchBlob(repository: String, _ descriptor: Descriptor, into store: ContentStore,
                          progress: @escaping @Sendable (Int64) -> Void = { _ in }) async throws(ImageError) -> Descriptor
    {
        if store.hasBlob(descriptor.digest) { return descriptor }
        let scope = pullScope(repository)
        var attempt = 0
        while true {
            attempt += 1
            var request = URLRequest(url: url("/v2/\(repository)/blobs/\(descriptor.digest)"))
            if let authorization = authorizations[scope] { request.setValue(authorization, forHTTPHeaderField: "Authorization") }
            let outcome = await BlobTransfer.run(request, store: store, expected: descriptor, progress: progress)
            switch outcome {
            case .completed(let stored):
                return stored
            case .challenged(let challenge):
                guard attempt <= retries else {
                    throw ImageError(.unauthorized, endpoint.registry, loginAdvice)
                }
                try await answer(challenge, scope: scope)
            case .failed(let error, let transient, let status, let retryAfter):
                guard transient, attempt <= retries, !Task.isCancelled else { throw error }
                switch RetryDelay.decide(status: status, retryAfter: retryAfter, attempt: attempt, limit: maximumRetryDelay) {
                case .wait(let delay): try? await Task.sleep(for: delay)
                case .tooLong(let asked): throw tooBusy(status, asked: asked)
                }
            }
        }
    }

    /// Whether the registry already holds a blob (HEAD), so push can skip it.
    public func hasBlob(repository: String, _ digest: Digest) async throws(ImageError) -> Bool {
        var request = URLRequest(url: url("/v2/\(repository)/blobs/\(digest)"))
        request.httpMethod = "HEAD"
        let (data, response) = try await send(request, scope: pushScope(repository))
        switch response.statusCode {
        case 200: return true
        case 404: return false
        default: throw failure(response, data, about: digest.description)
        }
    }

    /// Uploads a blob from the store (monolithic POST + PUT), unless the registry has it.
    ///
    /// An upload session is not retried by repeating its PUT: a registry that already completed
    /// or dropped the session answers 404 BLOB_UPLOAD_UNKNOWN. A failed attempt is followed by a
    /// check for the blob (the PUT may have landed) and a new session.
    public func pushBlob(repository: String, _ descriptor: Descriptor, from store: ContentStore) async throws(ImageError) -> Bool {
        if try await hasBlob(repository: repository, descriptor.digest) { return false }
        var attempt = 0
        while true {
            attempt += 1
            do {
                try await uploadBlob(repository: repository, descriptor, from: store)
                return true
            } catch {
                guard error.code == .registryUnreachable || error.code == .registryError,
                      attempt <= retries, !Task.isCancelled else { throw error }
                if try await hasBlob(repository: repository, descriptor.digest) { return true }
                try? await Task.sleep(for: RetryDelay.backOff(attempt: attempt))
            }
        }
    }

    /// One upload session: POST for a location, then PUT the whole blob to it, once.
    private func uploadBlob(repository: String, _ descriptor: Descriptor, from store: ContentStore) async throws(ImageError) {
        let scope = pushScope(repository)
        var start = URLRequest(url: url("/v2/\(repository)/blobs/uploads/"))
        start.httpMethod = "POST"
        let (startData, started) = try await send(start, scope: scope)
        guard started.statusCode == 202, let location = started.value(forHTTPHeaderField: "Location") else {
            throw failure(started, startData, about: "upload of \(descriptor.digest)")
        }
        guard var components = URLComponents(string: location.hasPrefix("/") ? endpoint.baseURL.absoluteString + location : location) else {
            throw ImageError(.registryError, endpoint.registry, "upload location \"\(location)\" is not a URL")
        }
        var query = components.queryItems ?? []
        query.append(URLQueryItem(name: "digest", value: descriptor.digest.description))
        components.queryItems = query
        guard let uploadURL = components.url else {
            throw ImageError(.registryError, endpoint.registry, "upload location \"\(location)\" is not a URL")
        }
        var put = URLRequest(url: uploadURL)
        put.httpMethod = "PUT"
        put.setValue("application/octet-stream", forHTTPHeaderField: "Content-Type")
        put.setValue(String(descriptor.size), forHTTPHeaderField: "Content-Length")
        let (data, response) = try await send(put, scope: scope, bodyFile: store.blobURL(descriptor.digest), retrying: false)
        guard response.statusCode == 201 else { throw failure(response, data, about: "upload of \(descriptor.digest)") }
    }

    /// Uploads a manifest under a tag or digest.
    public func pushManifest(repository: String, reference: String, _ data: Data, mediaType: MediaType) async throws(ImageError) {
        var request = URLRequest(url: url("/v2/\(repository)/manifests/\(reference)"))
        request.httpMethod = "PUT"
        request.setValue(mediaType.rawValue, forHTTPHeaderField: "Content-Type")
        request.httpBody = data
        let (body, response) = try await send(request, scope: pushScope(repository))
        guard response.statusCode == 201 else { throw failure(response, body, about: "\(repository):\(reference)") }
    }

    /// Checks that the credential is accepted (`berth login`): `GET /v2/` and answer its challenge.
    public func verifyLogin() async throws(ImageError) {
        let request = URLRequest(url: url("/v2/"))
        let (data, response) = try await send(request, scope: "")
        guard response.statusCode == 200 else { throw failure(response, data, about: endpoint.registry) }
    }

    // MARK: transport

    private func url(_ path: String) -> URL {
        endpoint.baseURL.appendingPathComponent(path)
    }

    private func pullScope(_ repository: String) -> String { "repository:\(repository):pull" }
    private func pushScope(_ repository: String) -> String { "repository:\(repository):pull,push" }

    private var loginAdvice: String {
        credential == nil
            ? "authentication required; run `berth login \(endpoint.registry)`"
            : "credentials were rejected; run `berth login \(endpoint.registry)` again"
    }

    /// Sends a request with the cached authorization, answering one challenge, retrying
    /// transient failures unless `retrying` is false (requests that are not idempotent).
    func send(_ original: URLRequest, scope: String, bodyFile: URL? = nil,
              retrying: Bool = true) async throws(ImageError) -> (Data, HTTPURLResponse) {
        let retries = retrying ? self.retries : 0
        var attempt = 0
        var answered = false
        while true {
            attempt += 1
            var request = original
            if let authorization = authorizations[scope] { request.setValue(authorization, forHTTPHeaderField: "Authorization") }
            let result: (Data, HTTPURLResponse)
            do {
                result = try await HTTPExchange.perform(request, bodyFile: bodyFile)
            } catch {
                let mapped = unreachable(error)
                if mapped.transient, attempt <= retries, !Task.isCancelled {
                    try? await Task.sleep(for: RetryDelay.backOff(attempt: attempt))
                    continue
                }
                throw mapped.error
            }
            let response = result.1
            if response.statusCode == 401, !answered,
               let challenge = response.value(forHTTPHeaderField: "WWW-Authenticate").flatMap(AuthChallenge.init)
            {
                answered = true
                try await answer(challenge, scope: scope)
                continue
            }
            if response.statusCode == 401 || response.statusCode == 403 {
                throw ImageError(.unauthorized, endpoint.registry, loginAdvice)
            }
            if response.statusCode == 429 || response.statusCode >= 500, attempt <= retries, !Task.isCancelled {
                switch RetryDelay.decide(status: response.statusCode, retryAfter: response.value(forHTTPHeaderField: "Retry-After"),
                                         attempt: attempt, limit: maximumRetryDelay)
                {
                case .wait(let delay):
                    try? await Task.sleep(for: delay)
                    continue
                case .tooLong(let asked):
                    throw tooBusy(response.statusCode, asked: asked)
                }
            }
            return (result.0, response)
        }
    }

    /// Gets what a challenge asks for: a bearer token from its realm, or basic credentials.
    private func answer(_ challenge: AuthChallenge, scope: String) async throws(ImageError) {
        switch challenge.scheme {
        case "basic":
            guard let credential else { throw ImageError(.unauthorized, endpoint.registry, loginAdvice) }
            authorizations[scope] = credential.basicAuthorization
        case "bearer":
            guard let realm = challenge.parameters["realm"], var components = URLComponents(string: realm) else {
                throw ImageError(.registryError, endpoint.registry, "bearer challenge without a usable realm")
            }
            var query = components.queryItems ?? []
            if let service = challenge.parameters["service"] { query.append(URLQueryItem(name: "service", value: service)) }
            let wanted = scope.isEmpty ? challenge.parameters["scope"] : scope
            if let wanted { query.append(URLQueryItem(name: "scope", value: wanted)) }
            components.queryItems = query.isEmpty ? nil : query
            guard let tokenURL = components.url else {
                throw ImageError(.registryError, endpoint.registry, "token realm \(realm) is not a URL")
            }
            var request = URLRequest(url: tokenURL)
            if let credential { request.setValue(credential.basicAuthorization, forHTTPHeaderField: "Authorization") }
            let data: Data
            let response: HTTPURLResponse
            do {
                (data, response) = try await HTTPExchange.perform(request)
            } catch {
                throw ImageError(.registryUnreachable, tokenURL.host ?? realm, "cannot reach the token service: \(error.localizedDescription)")
            }
            let status = response.statusCode
            guard status == 200 else {
                if status == 401 || status == 403 { throw ImageError(.unauthorized, endpoint.registry, loginAdvice) }
                throw ImageError(.registryError, tokenURL.host ?? realm, "token service answered HTTP \(status)")
            }
            guard let reply = try? JSONDecoder().decode(TokenReply.self, from: data), let token = reply.token ?? reply.accessToken else {
                throw ImageError(.registryError, tokenURL.host ?? realm, "token service reply has no token")
            }
            authorizations[scope] = "Bearer \(token)"
        default:
            throw ImageError(.registryError, endpoint.registry, "unsupported authentication scheme \(challenge.scheme)")
        }
    }

    /// A registry that asked for a longer pause than Berth waits for.
    func tooBusy(_ status: Int, asked: Duration) -> ImageError {
        ImageError(.registryError, endpoint.registry,
                   "registry \(endpoint.registry) answered HTTP \(status) and asks to retry in \(asked.roundedUpSeconds) s; try again then")
    }

    private func failure(_ response: HTTPURLResponse, _ data: Data, about subject: String) -> ImageError {
        let detail = (try? JSONDecoder().decode(RegistryErrors.self, from: data))?.errors.first.map { "\($0.code): \($0.message ?? "")" }
        return ImageError(.registryError, subject, "registry \(endpoint.registry) answered HTTP \(response.statusCode)" + (detail.map { " (\($0))" } ?? ""))
    }

    nonisolated func unreachable(_ error: any Error) -> (error: ImageError, transient: Bool) {
        BlobTransfer.classify(error, endpoint: endpoint)
    }
}

/// A parsed `WWW-Authenticate` header: `Bearer realm="…",service="…",scope="…"`.
struct AuthChallenge: Sendable, Hashable {
    var scheme: String
    var parameters: [String: String]

    init?(_ header: String) {
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        guard let space = trimmed.firstIndex(of: " ") else {
            if trimmed.isEmpty { return nil }
            scheme = trimmed.lowercased()
            parameters = [:]
            return
        }
        scheme = trimmed[..<space].lowercased()
        var parameters: [String: String] = [:]
        var rest = trimmed[trimmed.index(after: space)...]
        while let equals = rest.firstIndex(of: "=") {
            let key = rest[..<equals].trimmingCharacters(in: CharacterSet(charactersIn: " ,")).lowercased()
            rest = rest[rest.index(after: equals)...]
            var value = ""
            if rest.first == "\"" {
                rest = rest.dropFirst()
                guard let close = rest.firstIndex(of: "\"") else { break }
                value = String(rest[..<close])
                rest = rest[rest.index(after: close)...]
            } else {
                let end = rest.firstIndex(of: ",") ?? rest.endIndex
                value = String(rest[..<end]).trimmingCharacters(in: .whitespaces)
                rest = rest[end...]
            }
            parameters[key] = value
        }
        self.parameters = parameters
    }
}

private struct TokenReply: Decodable {
    var token: String?
    var accessToken: String?
    enum CodingKeys: String, CodingKey {
        case token
        case accessToken = "access_token"
    }
}

private struct RegistryErrors: Decodable {
    struct Entry: Decodable {
        var code: String
        var message: String?
    }
    var errors: [Entry]
}

private struct MediaTypeProbe: Decodable {
    var mediaType: MediaType?
}
