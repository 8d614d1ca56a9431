/// A fully qualified image name: registry, repository, and a tag and/or a digest.
///
/// Parsing follows the grammar of the distribution project's `reference` package and Docker's
/// normalisation, so `redis` is `docker.io/library/redis:latest` and `localhost:5000/x` keeps its
/// registry. A reference with neither tag nor digest gets the tag `latest`.
public struct ImageReference: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Registry host, with port when one was given (`docker.io`, `localhost:5000`, `[::1]:5000`).
    public var registry: String
    /// Repository path inside the registry (`library/redis`, `team/app`).
    public var repository: String
    public var tag: String?
    public var digest: Digest?

    public static let dockerHub = "docker.io"
    public static let defaultTag = "latest"

    /// Parses an image name, normalising short names against `defaultRegistry` (Docker Hub unless
    /// registries.conf says otherwise).
    public init(parsing text: String, defaultRegistry: String = ImageReference.dockerHub) throws(OCISpecError) {
        guard !text.isEmpty else {
            throw OCISpecError(.invalidReference, input: text, "an image name is empty")
        }
        var rest = Substring(text)
        var digest: Digest?
        if let at = rest.firstIndex(of: "@") {
            digest = try Digest(parsing: String(rest[rest.index(after: at)...]))
            rest = rest[..<at]
        }
        var tag: String?
        // A colon after the last slash separates the tag; one before it belongs to a registry port.
        let lastSlash = rest.lastIndex(of: "/")
        if let colon = rest.lastIndex(of: ":"), lastSlash.map({ colon > $0 }) ?? true {
            let candidate = String(rest[rest.index(after: colon)...])
            guard Self.isValidTag(candidate) else {
                throw OCISpecError(.invalidReference, input: text,
                                   "invalid tag \"\(candidate)\": use letters, digits, '_', '.' and '-', at most 128")
            }
            tag = candidate
            rest = rest[..<colon]
        }
        var components = rest.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        var registry = defaultRegistry
        if components.count > 1, Self.looksLikeRegistry(components[0]) {
            registry = components.removeFirst()
            guard Self.isValidRegistry(registry) else {
                throw OCISpecError(.invalidReference, input: text, "invalid registry host \"\(registry)\"")
            }
        }
        if registry == "index.docker.io" || registry == "registry-1.docker.io" { registry = Self.dockerHub }
        guard !components.isEmpty, components.allSatisfy(Self.isValidPathComponent) else {
            throw OCISpecError(.invalidReference, input: text,
                               "invalid repository name: use lowercase letters, digits and separators ('.', '_', '__', '-'), components split by '/'")
        }
        if registry == Self.dockerHub, components.count == 1 { components.insert("library", at: 0) }
        let repository = components.joined(separator: "/")
        guard registry.utf8.count + 1 + repository.utf8.count <= 255 else {
            throw OCISpecError(.invalidReference, input: text, "an image name is at most 255 characters")
        }
        self.registry = registry
        self.repository = repository
        self.digest = digest
        self.tag = tag ?? (digest == nil ? Self.defaultTag : nil)
    }

    public init(registry: String, repository: String, tag: String? = nil, digest: Digest? = nil) {
        self.registry = registry
        self.repository = repository
        self.tag = tag
        self.digest = digest
    }

    /// Whether `text` names its registry explicitly; short names are the ones that
    /// `unqualified-search-registries` applies to.
    public static func hasExplicitRegistry(_ text: String) -> Bool {
        let name = text.split(separator: "@", maxSplits: 1).first.map(String.init) ?? text
        let components = name.split(separator: "/", omittingEmptySubsequences: false)
        return components.count > 1 && looksLikeRegistry(String(components[0]))
    }

    /// `registry/repository`, without tag or digest.
    public var name: String { "\(registry)/\(repository)" }

    /// The same repository with another tag (and no digest).
    public func withTag(_ tag: String) -> ImageReference {
        ImageReference(registry: registry, repository: repository, tag: tag)
    }

    /// The same repository pinned to a digest (and no tag).
    public func withDigest(_ digest: Digest) -> ImageReference {
        ImageReference(registry: registry, repository: repository, digest: digest)
    }

    /// The string a registry's manifest endpoint takes: the digest when pinned, else the tag.
    public var manifestReference: String { digest?.description ?? tag ?? Self.defaultTag }

    public var description: String {
        var text = name
        if let tag { text += ":\(tag)" }
        if let digest { text += "@\(digest)" }
        return text
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            try self.init(parsing: text)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    // MARK: grammar

    /// Docker's rule: the first component is a registry if it has a dot or a port, is `localhost`,
    /// or has uppercase letters (which a repository path may not have).
    static func looksLikeRegistry(_ component: String) -> Bool {
        component.contains(".") || component.contains(":") || component == "localhost"
            || component.lowercased() != component
    }

    static func isValidRegistry(_ host: String) -> Bool {
        var hostPart = Substring(host)
        if host.hasPrefix("[") {  // IPv6 literal, optionally with a port
            guard let close = host.firstIndex(of: "]") else { return false }
            let after = host[host.index(after: close)...]
            if !after.isEmpty {
                guard after.first == ":", isPort(after.dropFirst()) else { return false }
            }
            return host[host.index(after: host.startIndex)..<close].allSatisfy { $0.isHexDigit || $0 == ":" }
        }
        if let colon = host.lastIndex(of: ":") {
            guard isPort(host[host.index(after: colon)...]) else { return false }
            hostPart = host[..<colon]
        }
        let labels = hostPart.split(separator: ".", omittingEmptySubsequences: false)
        return !labels.isEmpty && labels.allSatisfy { label in
            guard let first = label.first, let last = label.last else { return false }
            return first.isASCIIAlnum && last.isASCIIAlnum && label.allSatisfy { $0.isASCIIAlnum || $0 == "-" }
        }
    }

    private static func isPort(_ text: Substring) -> Bool {
        !text.isEmpty && text.count <= 5 && text.allSatisfy(\.isASCIIDigit)
    }

    /// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
    static func isValidPathComponent(_ component: String) -> Bool {
        let bytes = Array(component.utf8)
        guard let first = bytes.first, let last = bytes.last, isLowerAlnum(first), isLowerAlnum(last) else {
            return false
        }
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if isLowerAlnum(byte) { index += 1; continue }
            var run = index
            while run < bytes.count, !isLowerAlnum(bytes[run]) { run += 1 }
            let separator = bytes[index..<run]
            let allDashes = separator.allSatisfy { $0 == UInt8(ascii: "-") }
            let ok = allDashes || separator.elementsEqual([UInt8(ascii: ".")])
                || separator.elementsEqual([UInt8(ascii: "_")]) || separator.elementsEqual([UInt8(ascii: "_"), UInt8(ascii: "_")])
            guard ok else { return false }
            index = run
        }
        return true
    }

    /// `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`
    static func isValidTag(_ tag: String) -> Bool {
        guard let first = tag.first, tag.count <= 128, first.isASCIIAlnum || first == "_" else { return false }
        return tag.allSatisfy { $0.isASCIIAlnum || $0 == "_" || $0 == "." || $0 == "-" }
    }

    private static func isLowerAlnum(_ byte: UInt8) -> Bool {
        (0x61...0x7a).contains(byte) || (0x30...0x39).contains(byte)
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
    fileprivate var isASCIIAlnum: Bool { isASCII && (isLetter || isNumber) }
}
