import Foundation
import SystemdUnits

/// The systemd manager of one scope on this host: where it reads units from, whether it runs, and
/// how to tell it about changes.
///
/// Two environment variables exist for tests and image builds: `BERTH_SYSTEMD_UNIT_DIR` replaces
/// the unit directory of either scope, and `BERTH_SYSTEMCTL` names the `systemctl` to run, which
/// also stands for a running systemd (a test passes a recording fake).
struct SystemdHost {
    var scope: UnitOptions.Scope
    /// Where `--install` writes units.
    var unitDirectory: String
    /// The `systemctl` to run; nil when systemd is not this host's init, so nothing can be told.
    var systemctl: String?

    init(scope: UnitOptions.Scope, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        self.scope = scope
        if let directory = environment["BERTH_SYSTEMD_UNIT_DIR"], !directory.isEmpty {
            unitDirectory = URL(fileURLWithPath: directory).standardizedFileURL.path
        } else {
            unitDirectory = try Self.defaultUnitDirectory(scope: scope, environment: environment)
        }
        if let fake = environment["BERTH_SYSTEMCTL"], !fake.isEmpty {
            systemctl = fake
        } else if FileManager.default.fileExists(atPath: "/run/systemd/system") {
            // sd_booted(3)'s test: the directory exists only while systemd is PID 1.
            systemctl = Self.find("systemctl", in: environment["PATH"] ?? "/usr/bin:/bin")
            if systemctl == nil {
                throw CommandFailure("systemd runs here but systemctl is not on PATH: install systemd's tools or set PATH")
            }
        }
    }

    /// `systemctl`, with `--user` for user units, as a person would type it.
    func command(_ arguments: [String]) -> String {
        (["systemctl"] + (scope == .user ? ["--user"] : []) + arguments).joined(separator: " ")
    }

    /// Runs `systemctl [--user] ARGUMENTS` and returns its standard output; a failure carries
    /// what systemctl said.
    @discardableResult
    func run(_ arguments: [String]) throws -> String {
        guard let systemctl else {
            throw CommandFailure("cannot run `\(command(arguments))`: systemd is not running here")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: systemctl)
        process.arguments = (scope == .user ? ["--user"] : []) + arguments
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        do {
            try process.run()
        } catch {
            throw CommandFailure("cannot run \(systemctl): \(error.localizedDescription)")
        }
        // systemctl writes a few lines; neither pipe can fill while the other is read.
        let said = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let complained = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            let reason = (complained + said).trimmingCharacters(in: .whitespacesAndNewlines)
            throw CommandFailure("`\(command(arguments))` failed (status \(process.terminationStatus))"
                                 + (reason.isEmpty ? "" : ": \(reason)"))
        }
        return said
    }

    /// Whether the manager's view of `units` is older than their files: a berth killed between
    /// writing them and `daemon-reload` leaves that, and the next run must still reload.
    func needsReload(_ units: [String]) throws -> Bool {
        try run(["show", "--property=NeedDaemonReload", "--value"] + units)
            .split(separator: "\n").contains { $0.trimmingCharacters(in: .whitespaces) == "yes" }
    }

    /// Why nothing was told to systemd, for the notes and errors that say so.
    static let notRunning = "systemd is not running here (/run/systemd/system is missing)"

    /// A user's manager runs only while the user is logged in unless lingering is enabled; nil
    /// when it is, or for system units.
    static func lingerHint(scope: UnitOptions.Scope) -> String? {
        guard scope == .user, let user = userName() else { return nil }
        if FileManager.default.fileExists(atPath: "/var/lib/systemd/linger/\(user)") { return nil }
        return "user units run while \(user) is logged in; `loginctl enable-linger \(user)` starts them at boot and keeps them after logout"
    }

    static func defaultUnitDirectory(scope: UnitOptions.Scope, environment: [String: String]) throws -> String {
        switch scope {
        case .system:
            return "/etc/systemd/system"
        case .user:
            if let config = environment["XDG_CONFIG_HOME"], config.hasPrefix("/") {
                return config + "/systemd/user"
            }
            guard let home = environment["HOME"], home.hasPrefix("/") else {
                throw CommandFailure("cannot find the user unit directory: set HOME or XDG_CONFIG_HOME, or use --files DIR")
            }
            return home + "/.config/systemd/user"
        }
    }

    static func find(_ program: String, in path: String) -> String? {
        path.split(separator: ":").map { "\($0)/\(program)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func userName() -> String? {
        guard let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name else { return nil }
        return String(cString: name)
    }
}
