/// The platform an image runs on, as it appears in an index entry or an image config.
public struct Platform: Sendable, Hashable, Codable, CustomStringConvertible {
    public var architecture: String
    public var os: String
    public var osVersion: String?
    public var osFeatures: [String]?
    public var variant: String?

    public init(os: String, architecture: String, variant: String? = nil) {
        self.os = os
        self.architecture = architecture
        self.variant = variant
    }

    enum CodingKeys: String, CodingKey {
        case architecture, os, variant
        case osVersion = "os.version"
        case osFeatures = "os.features"
    }

    /// Parses `os/arch[/variant]`, e.g. `linux/arm64/v8`.
    public init(parsing text: String) throws(OCISpecError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard (2...3).contains(parts.count), parts.allSatisfy({ !$0.isEmpty }) else {
            throw OCISpecError(.invalidPlatform, input: text, "a platform has the form OS/ARCH[/VARIANT], e.g. linux/amd64")
        }
        self.init(os: parts[0], architecture: parts[1], variant: parts.count == 3 ? parts[2] : nil)
    }

    /// The platform this binary was built for, in OCI (GOARCH) spelling.
    public static var current: Platform {
        #if arch(x86_64)
        Platform(os: "linux", architecture: "amd64")
        #elseif arch(arm64)
        Platform(os: "linux", architecture: "arm64", variant: "v8")
        #elseif arch(arm)
        Platform(os: "linux", architecture: "arm", variant: "v7")
        #else
        Platform(os: "linux", architecture: "unknown")
        #endif
    }

    /// Whether an image built for `self` satisfies a request for `wanted`. A missing variant on
    /// either side matches, and `arm64` treats no variant as `v8`, as containerd's matcher does.
    public func satisfies(_ wanted: Platform) -> Bool {
        guard os == wanted.os, architecture == wanted.architecture else { return false }
        let mine = normalizedVariant, theirs = wanted.normalizedVariant
        return mine == nil || theirs == nil || mine == theirs
    }

    private var normalizedVariant: String? {
        if architecture == "arm64", variant == nil { return "v8" }
        return variant
    }

    public var description: String {
        [os, architecture, variant].compactMap { $0 }.joined(separator: "/")
    }
}
