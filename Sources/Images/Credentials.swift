import Foundation

/// A user name and secret for one registry.
public struct Credential: Sendable, Hashable, Codable {
    public var username: String
    public var password: String

    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }

    var basicAuthorization: String { "Basic " + Data("\(username):\(password)".utf8).base64EncodedString() }
}

/// Credentials as podman and docker store them: `{"auths": {"host": {"auth": base64(user:pass)}}}`.
///
/// Read from, in order: `$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`,
/// `~/.config/containers/auth.json`, `~/.docker/config.json`; the first file with an entry for the
/// registry wins. `berth login` writes the first of those paths that applies (podman's choice).
public struct AuthFile: Sendable {
    public var searchPath: [URL]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        var paths: [URL] = []
        if let explicit = environment["REGISTRY_AUTH_FILE"], !explicit.isEmpty {
            paths.append(URL(fileURLWithPath: explicit))
        }
        if let runtime = environment["XDG_RUNTIME_DIR"], !runtime.isEmpty {
            paths.append(URL(fileURLWithPath: runtime).appendingPathComponent("containers/auth.json"))
        }
        let home = URL(fileURLWithPath: environment["HOME"] ?? NSHomeDirectory())
        let config = environment["XDG_CONFIG_HOME"].map { URL(fileURLWithPath: $0) } ?? home.appendingPathComponent(".config")
        paths.append(config.appendingPathComponent("containers/auth.json"))
        paths.append(home.appendingPathComponent(".docker/config.json"))
        searchPath = paths
    }

    public init(searchPath: [URL]) { self.searchPath = searchPath }

    /// The file `login` writes and `logout` edits.
    public var writablePath: URL? { searchPath.first }

    /// The credential for `registry` (`host[:port]`), if any file has one.
    public func credential(for registry: String) -> Credential? {
        for url in searchPath {
            guard let auths = Self.auths(in: url) else { continue }
            for key in Self.keys(for: registry) {
                if let entry = auths[key] as? [String: Any], let credential = Self.decode(entry) { return credential }
            }
        }
        return nil
    }

    /// Stores a credential for `registry` in `writablePath`, keeping every other entry of the file.
    public func store(_ credential: Credential, for registry: String) throws(ImageError) {
        try edit { auths in
            auths[registry] = ["auth": Data("\(credential.username):\(credential.password)".utf8).base64EncodedString()]
        }
    }

    /// Removes the credential for `registry`; returns false when there was none.
    @discardableResult
    public func remove(for registry: String) throws(ImageError) -> Bool {
        var removed = false
        try edit { auths in
            for key in Self.keys(for: registry) where auths.removeValue(forKey: key) != nil { removed = true }
        }
        return removed
    }

    private func edit(_ change: (inout [String: Any]) -> Void) throws(ImageError) {
        guard let url = writablePath else { throw ImageError(.io, "auth.json", "no place to store credentials") }
        var document: [String: Any] = [:]
        if FileSystem.exists(url) {
            let data = try FileSystem.read(url)
            guard let parsed = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
                throw ImageError(.invalidContent, url.path, "not a JSON object; fix or remove the file")
            }
            document = parsed
        }
        var auths = document["auths"] as? [String: Any] ?? [:]
        change(&auths)
        document["auths"] = auths
        do {
            let data = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys])
            try FileSystem.makeDirectory(url.deletingLastPathComponent())
            try FileSystem.writeAtomically(data, to: url)
            chmod(url.path, 0o600)
        } catch let error as ImageError {
            throw error
        } catch {
            throw ImageError(.io, url.path, "cannot write credentials: \(error)")
        }
    }

    /// Docker Hub credentials are filed under its legacy index URL by docker.
    private static func keys(for registry: String) -> [String] {
        if registry == "docker.io" {
            return ["docker.io", "https://index.docker.io/v1/", "index.docker.io", "registry-1.docker.io"]
        }
        return [registry, "https://\(registry)", "http://\(registry)"]
    }

    private static func auths(in url: URL) -> [String: Any]? {
        guard let data = try? Data(contentsOf: url),
              let document = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        else { return nil }
        return document["auths"] as? [String: Any]
    }

    private static func decode(_ entry: [String: Any]) -> Credential? {
        guard let encoded = entry["auth"] as? String, let data = Data(base64Encoded: encoded),
              let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":")
        else { return nil }
        return Credential(username: String(text[..<colon]), password: String(text[text.index(after: colon)...]))
    }
}

#if canImport(Glibc)
import Glibc
#endif
