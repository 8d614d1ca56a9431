#if canImport(Glibc)
import Glibc
#endif

/// How an overlay root filesystem (a `mounts` entry of type overlay on "/") is mounted.
///
/// Native overlayfs is mounted by berth-init inside the container's user namespace, which
/// Linux allows from 5.11. Older kernels refuse it (EPERM); there the root filesystem is served
/// by fuse-overlayfs instead, as podman does, started by the container's monitor inside the
/// container's user, mount and PID namespaces (it ends with the container) but outside its cgroup.
/// `BERTH_OVERLAY` chooses: `auto` (the default: native, fuse-overlayfs when the kernel
/// refuses), `native`, or `fuse-overlayfs` (always; this is how tests exercise the fallback on
/// a kernel that does not need it).
public enum OverlayDriver: String, Sendable, Hashable, Codable, CaseIterable {
    case auto
    case native
    case fuseOverlayfs = "fuse-overlayfs"

    /// The environment variable that chooses the driver.
    public static let environmentVariable = "BERTH_OVERLAY"

    /// The driver `BERTH_OVERLAY` asks for; `auto` when it is unset or empty.
    public static func fromEnvironment() throws(RuntimeError) -> OverlayDriver {
        guard let raw = getenv(environmentVariable) else { return .auto }
        return try parse(String(cString: raw))
    }

    static func parse(_ text: String) throws(RuntimeError) -> OverlayDriver {
        if text.isEmpty { return .auto }
        guard let driver = OverlayDriver(rawValue: text) else {
            throw RuntimeError(.invalidConfig, environmentVariable,
                               "unknown overlay driver \"\(text)\" (expected \(allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return driver
    }

    /// The overlay options fuse-overlayfs understands; others (index=, userxattr, …) are
    /// native overlayfs's and make it refuse to start.
    static func fuseOptions(_ options: [String]) -> [String] {
        options.filter { option in ["lowerdir=", "upperdir=", "workdir="].contains { option.hasPrefix($0) } }
    }
}
