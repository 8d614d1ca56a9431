import Crypto
import Foundation
import Synchronization

/// A minimal Docker registry token service for tests: answers `GET /token?service=…&scope=…` with
/// an ES256 JWT carrying its certificate in `x5c`, granting whatever scope is asked. The registry
/// trusts the certificate through `rootcertbundle`. Records each request so tests can check that
/// the client came for a token with the right scope and credentials.
final class TokenIssuer: Sendable {
    struct Request: Sendable, Hashable {
        var scope: String?
        var service: String?
        var authorization: String?
    }

    let port: Int
    let certificate: URL
    let service = "berth-test-registry"
    let issuer = "berth-test-issuer"
    /// Raw key bytes: the Crypto key type is not Sendable, the bytes are.
    private let keyBytes: Data
    private let certificateDER: String
    private let listener: Int32
    private let log = Mutex<[Request]>([])

    var realm: String { "http://127.0.0.1:\(port)/token" }
    var requests: [Request] { log.withLock { $0 } }

    init(directory: URL) throws {
        let keyFile = directory.appendingPathComponent("token.key")
        certificate = directory.appendingPathComponent("token.crt")
        try run("/usr/bin/openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                                     "-keyout", keyFile.path, "-out", certificate.path, "-subj", "/CN=berth-token-issuer", "-days", "1"])
        keyBytes = try P256.Signing.PrivateKey(pemRepresentation: try String(contentsOf: keyFile, encoding: .utf8)).rawRepresentation
        certificateDER = try String(contentsOf: certificate, encoding: .utf8)
            .split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()

        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let fd = listener
        let ok = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard ok else { throw FixtureError("token issuer: cannot listen (errno \(errno))") }
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in serve() }
        thread.start()
    }

    /// Stops accepting; the serving thread ends when accept fails.
    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func serve() {
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            handle(client)
            close(client)
        }
    }

    private func handle(_ client: Int32) {
        var buffer = [UInt8](repeating: 0, count: 16_384)
        let count = read(client, &buffer, buffer.count)
        guard count > 0 else { return }
        let text = String(decoding: buffer[0..<count], as: UTF8.self)
        let lines = text.components(separatedBy: "\r\n")
        let target = lines.first?.split(separator: " ").dropFirst().first.map(String.init) ?? "/"
        let query = URLComponents(string: "http://x\(target)")?.queryItems ?? []
        let authorization = lines.first { $0.lowercased().hasPrefix("authorization:") }
            .map { String($0.dropFirst("authorization:".count)).trimmingCharacters(in: .whitespaces) }
        let request = Request(scope: query.first { $0.name == "scope" }?.value,
                              service: query.first { $0.name == "service" }?.value, authorization: authorization)
        log.withLock { $0.append(request) }
        let body = (try? token(scope: request.scope)).map { #"{"token":"\#($0)","expires_in":300}"# } ?? "{}"
        let response = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
        _ = response.withCString { write(client, $0, strlen($0)) }
    }

    private func token(scope: String?) throws -> String {
        var access: [[String: Any]] = []
        if let scope {
            for item in scope.split(separator: " ") {
                let parts = item.split(separator: ":")
                if parts.count == 3 {
                    access.append(["type": String(parts[0]), "name": String(parts[1]),
                                   "actions": parts[2].split(separator: ",").map(String.init)])
                }
            }
        }
        let now = Int(Date().timeIntervalSince1970)
        let header: [String: Any] = ["alg": "ES256", "typ": "JWT", "x5c": [certificateDER]]
        let claims: [String: Any] = ["iss": issuer, "sub": "berth-test", "aud": service, "exp": now + 300, "nbf": now - 10,
                                     "iat": now, "jti": UUID().uuidString, "access": access]
        let signingInput = try base64URL(JSONSerialization.data(withJSONObject: header)) + "."
            + base64URL(JSONSerialization.data(withJSONObject: claims))
        let signature = try P256.Signing.PrivateKey(rawRepresentation: keyBytes).signature(for: Data(signingInput.utf8))
        return signingInput + "." + base64URL(signature.rawRepresentation)
    }

    private func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
