/// What a service volume mounts.
public enum VolumeType: String, Sendable, Hashable, Codable, CaseIterable {
    case bind, volume, tmpfs, image, npipe, cluster
}

/// One entry of a service's `volumes`, in compose's long syntax (compose-go's
/// `ServiceVolumeConfig`, fields in its order).
///
/// Paths are kept as written: the loader makes relative bind sources absolute.
public struct ServiceVolume: Sendable, Hashable, Codable {
    public var type: VolumeType
    /// A host path (bind), a volume name (volume), an image reference (image); nil for an anonymous
    /// volume or a tmpfs.
    public var source: String?
    /// The path in the container.
    public var target: String
    public var readOnly: Bool?
    /// Accepted for compatibility (Docker Desktop on macOS); it has no effect on Linux.
    public var consistency: String?
    public var bind: BindOptions?
    public var volume: VolumeOptions?
    public var tmpfs: TmpfsOptions?
    public var image: ImageOptions?

    public init(
        type: VolumeType, source: String? = nil, target: String, readOnly: Bool? = nil,
        consistency: String? = nil, bind: BindOptions? = nil, volume: VolumeOptions? = nil,
        tmpfs: TmpfsOptions? = nil, image: ImageOptions? = nil
    ) {
        self.type = type
        self.source = source
        self.target = target
        self.readOnly = readOnly
        self.consistency = consistency
        self.bind = bind
        self.volume = volume
        self.tmpfs = tmpfs
        self.image = image
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case type, source, target
        case readOnly = "read_only"
        case consistency, bind, volume, tmpfs, image
    }

    /// Options of a bind mount.
    public struct BindOptions: Sendable, Hashable, Codable {
        /// `shared`, `rshared`, `slave`, `rslave`, `private` or `rprivate`.
        public var propagation: String?
        /// Create the host path when it is missing; compose sets it for every short-syntax bind.
        public var createHostPath: Bool?
        /// SELinux relabelling: `z` (shared) or `Z` (private).
        public var selinux: String?
        /// `enabled`, `disabled`, `writable` or `readonly`: how submounts are bound.
        public var recursive: String?

        public init(propagation: String? = nil, createHostPath: Bool? = nil, selinux: String? = nil, recursive: String? = nil) {
            self.propagation = propagation
            self.createHostPath = createHostPath
            self.selinux = selinux
            self.recursive = recursive
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case propagation
            case createHostPath = "create_host_path"
            case selinux, recursive
        }
    }

    /// Options of a named or anonymous volume.
    public struct VolumeOptions: Sendable, Hashable, Codable {
        /// Do not copy the image's content at the target into a new, empty volume.
        public var nocopy: Bool?
        /// Mount only this path inside the volume.
        public var subpath: String?

        enum CodingKeys: String, CodingKey, CaseIterable { case nocopy, subpath }

        public init(nocopy: Bool? = nil, subpath: String? = nil) {
            self.nocopy = nocopy
            self.subpath = subpath
        }
    }

    /// Options of a tmpfs mount.
    public struct TmpfsOptions: Sendable, Hashable, Codable {
        public var size: ByteSize?
        /// File mode of the tmpfs root, as a number (`0o1777` is written 1023 in JSON).
        public var mode: UInt32?

        enum CodingKeys: String, CodingKey, CaseIterable { case size, mode }

        public init(size: ByteSize? = nil, mode: UInt32? = nil) {
            self.size = size
            self.mode = mode
        }
    }

    /// Options of an image mount.
    public struct ImageOptions: Sendable, Hashable, Codable {
        /// Mount only this path of the image.
        public var subpath: String?

        enum CodingKeys: String, CodingKey, CaseIterable { case subpath }

        public init(subpath: String? = nil) {
            self.subpath = subpath
        }
    }
}

extension ServiceVolume {
    /// Parses the short syntax `[SOURCE:]TARGET[:MODES]` as compose-go's `format.ParseVolume`.
    ///
    /// - A lone target is an anonymous volume.
    /// - A source starting with `.`, `/`, `~`, `\\` or a Windows drive (`C:`) is a bind mount, and
    ///   gets `create_host_path: true`; any other source names a volume.
    /// - MODES is a comma-separated list of `ro`, `rw`, `nocopy`, `z`, `Z` and the propagation
    ///   modes; compose ignores any other word, and so does this.
    /// - A colon inside `${…}` or right after a drive letter does not separate fields.
    public static func parseShort(_ text: String) throws(ComposeValueError) -> ServiceVolume {
        let scalars = Array(text.unicodeScalars)
        switch scalars.count {
        case 0:
            throw ComposeValueError("invalid volume \"\" (expected [SOURCE:]TARGET[:MODE])")
        case 1, 2:
            // compose-go takes any one- or two-character spec as a target without further checks.
            return ServiceVolume(type: .volume, target: text)
        default:
            break
        }

        var fields: [String] = []
        var buffer = String.UnicodeScalarView()
        var substitutionDepth = 0
        for (index, scalar) in scalars.enumerated() {
            if scalar == "$", index + 1 < scalars.count, scalars[index + 1] == "{" {
                substitutionDepth += 1
            } else if scalar == "}", substitutionDepth > 0 {
                substitutionDepth -= 1
            } else if scalar == ":", substitutionDepth == 0, !Self.isDriveLetter(buffer) {
                fields.append(String(buffer))
                buffer = String.UnicodeScalarView()
                continue
            }
            buffer.append(scalar)
        }
        fields.append(String(buffer))

        func failure(_ reason: String) -> ComposeValueError {
            ComposeValueError("invalid volume \"\(text)\": \(reason) (expected [SOURCE:]TARGET[:MODE])")
        }
        // Checked field by field, so the first problem from the left is the one reported.
        for (index, field) in fields.enumerated() {
            guard !field.isEmpty else { throw failure("empty section between colons") }
            guard index < 2 || index == fields.count - 1 else { throw failure("too many colons") }
        }

        var volume: ServiceVolume
        if fields.count == 1 {
            volume = ServiceVolume(type: .volume, target: fields[0])
        } else {
            volume = ServiceVolume(type: .volume, source: fields[0], target: fields[1])
        }
        if fields.count == 3 {
            for option in fields[2].split(separator: ",", omittingEmptySubsequences: false) {
                switch option {
                case "ro": volume.readOnly = true
                case "rw": volume.readOnly = nil
                case "nocopy": volume.volume = VolumeOptions(nocopy: true)
                case "z", "Z": volume.bind = volume.bind ?? BindOptions(); volume.bind?.selinux = String(option)
                case _ where Self.propagations.contains(String(option)):
                    volume.bind = volume.bind ?? BindOptions()
                    volume.bind?.propagation = String(option)
                default: break
                }
            }
        }

        if let source = volume.source, Self.isHostPath(source) {
            volume.type = .bind
            // Creating a missing host path is compose's default for binds (printed only when off).
            volume.bind = volume.bind ?? BindOptions()
        } else {
            volume.volume = volume.volume ?? VolumeOptions()
        }
        return volume
    }

    /// Whether a missing bind source is created: compose's default unless `create_host_path: false`.
    public var createsHostPath: Bool { bind?.createHostPath ?? true }

    /// The bind propagation modes.
    public static let propagations: Set<String> = ["shared", "rshared", "slave", "rslave", "private", "rprivate"]

    private static func isHostPath(_ source: String) -> Bool {
        guard let first = source.unicodeScalars.first else { return false }
        if first == "." || first == "/" || first == "~" || source.hasPrefix(#"\\"#) { return true }
        let scalars = source.unicodeScalars.dropFirst()
        return scalars.first == ":" && first.properties.isAlphabetic
    }

    /// A single letter before a colon is a Windows drive (`C:\data`), not a field.
    private static func isDriveLetter(_ buffer: String.UnicodeScalarView) -> Bool {
        guard let first = buffer.first, buffer.count == 1 else { return false }
        return first.properties.isAlphabetic
    }
}

extension ServiceVolume {
    /// Checks what compose checks of a long-syntax entry: a target, a source for binds and image
    /// mounts, the `selinux` and `recursive` enumerations, a known propagation and a tmpfs size of
    /// at least 0. Options of another type's block are not errors (the short syntax itself sets
    /// `bind.selinux` on named volumes).
    public func validate() throws(ComposeValueError) {
        guard !target.isEmpty else {
            throw ComposeValueError("invalid \(type.rawValue) mount: target must not be empty")
        }
        if type == .bind || type == .image, (source ?? "").isEmpty {
            throw ComposeValueError("invalid \(type.rawValue) mount on \(target): source must not be empty")
        }
        if let bind {
            if let selinux = bind.selinux, selinux != "z", selinux != "Z" {
                throw ComposeValueError("invalid bind.selinux \"\(selinux)\" (expected z or Z)")
            }
            if let propagation = bind.propagation, !Self.propagations.contains(propagation) {
                throw ComposeValueError(
                    "invalid bind.propagation \"\(propagation)\" (expected shared, rshared, slave, rslave, private or rprivate)")
            }
            if let recursive = bind.recursive, !["enabled", "disabled", "writable", "readonly"].contains(recursive) {
                throw ComposeValueError(
                    "invalid bind.recursive \"\(recursive)\" (expected enabled, disabled, writable or readonly)")
            }
        }
        if let size = tmpfs?.size, size.bytes < 0 {
            throw ComposeValueError("invalid tmpfs.size \(size.bytes) (expected 0 or more bytes)")
        }
    }
}
