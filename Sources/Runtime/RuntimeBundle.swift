#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials
import OCISpec
import SystemSupport

/// An OCI bundle on disk, loaded and checked before anything is created.
public struct RuntimeBundle: Sendable, Hashable {
    /// The bundle directory, symlinks resolved.
    public var path: String
    /// The root filesystem, symlinks resolved.
    public var rootfs: String
    public var spec: RuntimeSpec

    /// Loads `path/config.json` and checks the parts every container needs.
    public init(path: String, container: String) throws(RuntimeError) {
        guard let resolved = RuntimeBundle.realpath(path) else {
            throw RuntimeError(.invalidBundle, container, "bundle \(path) does not exist")
        }
        self.path = resolved
        let bytes: [UInt8]
        do { bytes = try Files.readBytes(resolved + "/config.json", stage: "bundle") } catch {
            throw RuntimeError(.invalidBundle, container, "cannot read \(resolved)/config.json: \(error)")
        }
        do {
            spec = try JSONDecoder().decode(RuntimeSpec.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw RuntimeError(.invalidConfig, container, "\(resolved)/config.json: \(RuntimeBundle.describe(error))")
        } catch {
            throw RuntimeError(.invalidConfig, container, "\(resolved)/config.json: \(error)")
        }
        guard let root = spec.root else {
            throw RuntimeError(.invalidConfig, container, "\(resolved)/config.json: root.path is required")
        }
        guard let process = spec.process, let args = process.args, !args.isEmpty else {
            throw RuntimeError(.invalidConfig, container, "\(resolved)/config.json: process.args must name a program")
        }
        if !process.cwd.hasPrefix("/") {
            throw RuntimeError(.invalidConfig, container, "\(resolved)/config.json: process.cwd must be absolute, not \"\(process.cwd)\"")
        }
        let rootPath = root.path.hasPrefix("/") ? root.path : resolved + "/" + root.path
        guard let rootfs = RuntimeBundle.realpath(rootPath) else {
            throw RuntimeError(.invalidBundle, container, "root filesystem \(rootPath) does not exist")
        }
        // A relative root must stay inside the bundle: a symlink that leads elsewhere is refused
        // rather than followed, so a bundle cannot make Berth mount an arbitrary host directory.
        if !root.path.hasPrefix("/") && !(rootfs + "/").hasPrefix(resolved + "/") {
            throw RuntimeError(.invalidBundle, container,
                               "root filesystem \(root.path) resolves to \(rootfs), outside the bundle \(resolved)")
        }
        var info = stat()
        guard stat(rootfs, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw RuntimeError(.invalidBundle, container, "root filesystem \(rootfs) is not a directory")
        }
        self.rootfs = rootfs
    }

    static func realpath(_ path: String) -> String? {
        guard let resolved = Glibc.realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// "missing field process.cwd" rather than Foundation's debug description.
    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context, _ last: CodingKey? = nil) -> String {
            var text = ""
            for key in context.codingPath + (last.map { [$0] } ?? []) {
                if let index = key.intValue { text += "[\(index)]" } else { text += (text.isEmpty ? "" : ".") + key.stringValue }
            }
            return text
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing field \(path(context, key))"
        case .typeMismatch(let type, let context): return "\(path(context)): expected \(type)"
        case .valueNotFound(let type, let context): return "\(path(context)): expected \(type), found null"
        case .dataCorrupted(let context): return "invalid JSON at \(path(context)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
