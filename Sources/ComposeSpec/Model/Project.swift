import YAML

/// A loaded, merged, validated and normalized compose project.
public struct Project: Sendable, Hashable {
    /// Normalized project name (`-p`, `COMPOSE_PROJECT_NAME`, top-level `name`, or the directory).
    public var name: String
    /// Absolute project directory: relative paths in the files are resolved against it.
    public var workingDirectory: String
    /// The compose files that were loaded, absolute, in order (`-` for standard input).
    public var composeFiles: [String]
    /// Active services by name.
    public var services: [String: Service]
    /// Services left out because none of their profiles is active.
    public var disabledServices: [String: Service]
    public var networks: [String: NetworkDefinition]
    public var volumes: [String: VolumeDefinition]
    public var secrets: [String: FileObjectDefinition]
    public var configs: [String: FileObjectDefinition]
    public var extensions: [String: ComposeValue]
    /// The variables interpolation saw (shell environment over env files).
    public var environment: [String: String]
    public var activeProfiles: [String]

    public init(name: String, workingDirectory: String) {
        self.name = name
        self.workingDirectory = workingDirectory
        composeFiles = []
        services = [:]
        disabledServices = [:]
        networks = [:]
        volumes = [:]
        secrets = [:]
        configs = [:]
        extensions = [:]
        environment = [:]
        activeProfiles = []
    }

    /// Active service names, sorted.
    public var serviceNames: [String] { services.keys.sorted() }

    /// Every profile any service names, active or not, sorted.
    public var allProfiles: [String] {
        Set((services.values.map(\.self) + disabledServices.values).flatMap { $0.profiles ?? [] }).sorted()
    }

    /// The image a service runs: `image`, or the name compose gives a built image.
    public func imageName(of service: Service) -> String {
        service.image ?? "\(name)-\(service.name)"
    }
}

/// Characters compose allows in a project name: lowercase letters, digits, dashes and underscores,
/// starting with a letter or digit.
public enum ProjectName {
    public static func isValid(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, isLowerAlnum(first) else { return false }
        return name.unicodeScalars.allSatisfy { isLowerAlnum($0) || $0 == "-" || $0 == "_" }
    }

    /// The name compose derives from a directory name: lowercased, other characters dropped,
    /// leading dashes and underscores removed.
    public static func normalize(_ name: String) -> String {
        let kept = name.lowercased().unicodeScalars.filter { isLowerAlnum($0) || $0 == "-" || $0 == "_" }
        var text = String(String.UnicodeScalarView(kept))
        while let first = text.first, first == "-" || first == "_" { text.removeFirst() }
        return text
    }

    private static func isLowerAlnum(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar)
    }
}
