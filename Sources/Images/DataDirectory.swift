import Foundation

/// Where Berth keeps images: `/var/lib/berth` as root, `$XDG_DATA_HOME/berth` (default
/// `~/.local/share/berth`) otherwise; `BERTH_DATA_DIR` or an explicit path overrides both, which is
/// how tests get a store of their own.
public enum DataDirectory {
    public static let environmentKey = "BERTH_DATA_DIR"

    /// The data directory for this process, following the precedence above.
    public static func resolve(explicit: String? = nil,
                               environment: [String: String] = ProcessInfo.processInfo.environment,
                               isRoot: Bool = geteuid() == 0) -> URL
    {
        if let explicit, !explicit.isEmpty { return URL(fileURLWithPath: explicit, isDirectory: true) }
        if let fromEnvironment = environment[environmentKey], !fromEnvironment.isEmpty {
            return URL(fileURLWithPath: fromEnvironment, isDirectory: true)
        }
        if isRoot { return URL(fileURLWithPath: "/var/lib/berth", isDirectory: true) }
        if let xdg = environment["XDG_DATA_HOME"], xdg.hasPrefix("/") {
            return URL(fileURLWithPath: xdg, isDirectory: true).appendingPathComponent("berth", isDirectory: true)
        }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return URL(fileURLWithPath: home, isDirectory: true)
            .appendingPathComponent(".local/share/berth", isDirectory: true)
    }
}
