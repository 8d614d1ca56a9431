import ComposeSpec

/// What a generated unit pins: where `berth` is and how it was asked to load the project.
public struct UnitOptions: Sendable, Hashable, Codable {
    public enum Scope: String, Sendable, Hashable, Codable {
        /// `~/.config/systemd/user`, started with the user's manager (`WantedBy=default.target`).
        case user
        /// `/etc/systemd/system`, started at boot (`WantedBy=multi-user.target`).
        case system
    }

    public var scope: Scope
    /// Absolute path of the `berth` executable the unit runs.
    public var berthPath: String
    /// Absolute paths of the compose files, in order.
    public var composeFiles: [String]
    /// Absolute paths of `--env-file`s.
    public var envFiles: [String]
    public var profiles: [String]

    public init(scope: Scope, berthPath: String, composeFiles: [String], envFiles: [String] = [], profiles: [String] = []) {
        self.scope = scope
        self.berthPath = berthPath
        self.composeFiles = composeFiles
        self.envFiles = envFiles
        self.profiles = profiles
    }

    /// The target an enabled unit is pulled in by.
    public var wantedBy: String { scope == .user ? "default.target" : "multi-user.target" }
}

/// How a project becomes units.
public enum UnitLayout: String, Sendable, Hashable, Codable, CaseIterable {
    /// One `berth-<project>.service` whose main process supervises the whole project.
    case project
    /// `berth-<project>.target`, `berth-<project>-network-services.service` (DNS and published
    /// ports) and one `berth-<project>-<service>.service` per service, ordered by systemd from
    /// `depends_on`.
    case perService = "per-service"
}

/// One unit file to write: its name (escaped, with its suffix) and its content.
public struct GeneratedUnit: Sendable, Hashable {
    public var name: String
    public var file: UnitFile

    public init(name: String, file: UnitFile) {
        self.name = name
        self.file = file
    }
}

/// Turns a project into the units that keep it running. In the project layout the unit's main
/// process is the project's supervisor (`berth … supervise`, `Type=notify`: ready when every
/// service is up and healthy), stopped with the services' grace periods and reloaded by
/// re-applying the files. Every path is absolute, so a unit means the same from anywhere.
public enum UnitGenerator {
    /// The units for `project` in `layout`: the one project unit, or the project's target
    /// followed by a unit per service in start order.
    public static func units(for project: Project, options: UnitOptions, layout: UnitLayout) -> [GeneratedUnit] {
        switch layout {
        case .project:
            return [GeneratedUnit(name: unitName(for: project.name), file: projectUnit(for: project, options: options))]
        case .perService:
            return [GeneratedUnit(name: targetName(for: project.name), file: projectTarget(for: project, options: options)),
                    GeneratedUnit(name: networkServicesUnitName(for: project.name), file: networkServicesUnit(for: project, options: options))]
                + serviceUnits(for: project, options: options)
        }
    }

    /// `berth-<project>.service`, escaped with systemd's rules.
    public static func unitName(for project: String) -> String {
        "berth-\(SystemdEscape.unitNameComponent(project)).service"
    }

    public static func projectUnit(for project: Project, options: UnitOptions) -> UnitFile {
        let command = baseCommand(project: project, options: options)
        var unit = UnitFile.Section("Unit")
        unit.append("Description", "Berth compose project \(project.name)")
        unit.append("Documentation", "man:berth(1)")
        appendHostDependencies(to: &unit, project: project, options: options)

        var service = UnitFile.Section("Service")
        service.append("Type", "notify")
        service.append("NotifyAccess", "main")
        service.append("WorkingDirectory", SystemdEscape.path(project.workingDirectory))
        service.append("ExecStart", SystemdEscape.commandLine(command + ["supervise"]))
        service.append("ExecReload", SystemdEscape.commandLine(command + ["up", "--detach", "--remove-orphans"]))
        service.append("ExecStop", SystemdEscape.commandLine(command + ["stop"]))
        service.append("KillMode", "mixed")
        service.append("Delegate", "yes")
        service.append("Restart", "on-failure")
        service.append("TimeoutStartSec", "\(startTimeout(for: project))")
        service.append("TimeoutStopSec", "\(stopTimeout(for: project))")

        var install = UnitFile.Section("Install")
        install.append("WantedBy", options.wantedBy)

        return UnitFile(preamble: [.comment(header(for: project.name))],
                        sections: [unit, service, install].interleavedWithBlankLines())
    }

    /// The first line of every generated unit. `berth systemd` rewrites and removes only files
    /// that start with it for the same project, so it never touches a unit a person wrote.
    public static func header(for project: String) -> String {
        "# Generated by berth systemd generate for project \(project); edit the compose files, not this."
    }

    /// The project a unit file was generated for, read from its first line; nil for any other file.
    public static func generatedProject(of text: Substring) -> String? {
        let prefix = "# Generated by berth systemd generate for project "
        let firstLine = text.prefix { $0 != "\n" }
        guard firstLine.hasPrefix(prefix) else { return nil }
        let rest = firstLine.dropFirst(prefix.count)
        guard let end = rest.firstIndex(of: ";") else { return nil }
        return String(rest[..<end])
    }

    /// `network-online.target` for system units (user managers have no such target), and the
    /// mounts the project directory lives on.
    static func appendHostDependencies(to unit: inout UnitFile.Section, project: Project, options: UnitOptions) {
        if options.scope == .system {
            unit.append("Wants", "network-online.target")
            unit.append("After", "network-online.target")
        }
        unit.append("RequiresMountsFor", SystemdEscape.pathListItem(project.workingDirectory))
    }

    /// `berth` with the project pinned: name, directory, files, env files, profiles.
    static func baseCommand(project: Project, options: UnitOptions) -> [String] {
        var command = [options.berthPath, "--project-name", project.name, "--project-directory", project.workingDirectory]
        for file in options.composeFiles { command += ["--file", file] }
        for file in options.envFiles { command += ["--env-file", file] }
        for profile in options.profiles { command += ["--profile", profile] }
        return command
    }
}

extension Array where Element == UnitFile.Section {
    /// Sections separated by a blank line, as people write unit files.
    func interleavedWithBlankLines() -> [UnitFile.Section] {
        enumerated().map { index, section in
            var section = section
            if index < count - 1 { section.lines.append(.blank) }
            return section
        }
    }
}
