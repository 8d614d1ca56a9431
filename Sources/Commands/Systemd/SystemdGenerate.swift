import ArgumentParser
import ComposeSpec
import Foundation
import SystemdUnits

/// `berth systemd generate`: the project's units, printed (the default, so a person reads them
/// first), written to a directory, or installed where systemd looks and optionally enabled and
/// started. Re-running after a compose change rewrites only the units whose text changed.
struct SystemdGenerate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Print, write or install systemd units for the project.",
        discussion: """
            Without --files or --install the units are printed to standard output. The units pin \
            the project: its name, directory, compose files, env files and profiles, as absolute \
            paths, and run this berth executable.
            """)

    @OptionGroup var project: ProjectOptions

    @OptionGroup var scope: SystemdScopeOptions

    @Flag(name: .customLong("per-service"), help: "One unit per service, ordered by depends_on, and a target for the project, instead of one unit for the project.")
    var perService = false

    @Option(name: .customLong("files"), help: ArgumentHelp("Write the units to this directory.", valueName: "dir"))
    var directory: String?

    @Flag(help: "Write the units where systemd reads them, then run systemctl daemon-reload.")
    var install = false

    @Flag(help: "Enable the project's unit so it starts at boot (implies --install).")
    var enable = false

    @Flag(help: "Start the project's unit now (implies --install).")
    var now = false

    func validate() throws {
        if directory != nil, install || enable || now {
            throw ValidationError("--files writes units for you to install; --install, --enable and --now act on systemd's own directory")
        }
    }

    func run() throws {
        let loaded = try project.load()
        if loaded.composeFiles.contains("-") {
            throw CommandFailure("a unit cannot read its compose file from standard input (-f -): save it to a file and pass -f FILE")
        }
        if let warning = UnpinnedVariables.warning(for: loaded, options: project.loaderOptions()) {
            Console.warn(warning)
        }
        let scope = scope.resolved
        let options = UnitOptions(scope: scope, berthPath: try Self.executablePath(), composeFiles: loaded.composeFiles,
                                  envFiles: project.envFiles.map(Self.absolute), profiles: loaded.activeProfiles)
        let units = UnitGenerator.units(for: loaded, options: options, layout: perService ? .perService : .project)
        if let hint = SystemdHost.lingerHint(scope: scope) { Console.note(hint) }

        if let directory {
            let unitDirectory = UnitDirectory(path: Self.absolute(directory))
            Self.report(try unitDirectory.apply(try unitDirectory.plan(units, project: loaded.name)), in: unitDirectory)
        } else if install || enable || now {
            try installUnits(units, project: loaded.name, host: try SystemdHost(scope: scope))
        } else {
            Console.out(Self.listing(units))
        }
    }

    /// Writes the units where the scope's manager reads them, then tells it, enables and starts
    /// the first unit (the project's service or target) as asked.
    func installUnits(_ units: [GeneratedUnit], project: String, host: SystemdHost) throws {
        var unitDirectory = UnitDirectory(path: host.unitDirectory)
        if host.scope == .system { unitDirectory.permissionHint = "system units need root: run berth as root, or use --user" }
        let plan = try unitDirectory.plan(units, project: project)
        // Stale units are stopped and disabled while their files still say what to undo.
        if host.systemctl != nil, !plan.stale.isEmpty {
            try host.run(["disable", "--now"] + plan.stale)
        }
        let changes = try unitDirectory.apply(plan)
        Self.report(changes, in: unitDirectory)

        let main = units[0].name
        guard host.systemctl != nil else {
            let reload = host.command(["daemon-reload"])
            let start = host.command(["enable", "--now", main])
            if enable || now {
                throw CommandFailure("cannot \(enable ? "enable" : "start") \(main): \(SystemdHost.notRunning); "
                                     + "the units are written to \(unitDirectory.path): run `\(reload)` and `\(start)` where systemd runs")
            }
            Console.note("\(SystemdHost.notRunning): units written to \(unitDirectory.path); run `\(reload)` when systemd runs, then `\(start)`")
            return
        }
        if try changes.contains(where: { $0.change != .unchanged }) || host.needsReload(units.map(\.name)) {
            try host.run(["daemon-reload"])
        }
        if enable {
            try host.run(["enable"] + (now ? ["--now"] : []) + [main])
        } else if now {
            try host.run(["start", main])
        }
    }

    static func report(_ changes: [(name: String, change: UnitDirectory.Change)], in directory: UnitDirectory) {
        for (name, change) in changes {
            Console.out("\(change.rawValue) \(directory.filePath(name))")
        }
    }

    /// The units as one text: a single unit exactly as its file, several each under its name.
    static func listing(_ units: [GeneratedUnit]) -> String {
        guard units.count > 1 else { return units.first?.file.description ?? "" }
        return units.map { "### \($0.name)\n" + $0.file.description }.joined(separator: "\n")
    }

    /// This executable, resolved: the unit must run the berth that generated it, wherever the
    /// user's PATH points at boot.
    static func executablePath() throws -> String {
        do {
            return try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        } catch {
            throw CommandFailure("cannot find the berth executable through /proc/self/exe: \(error.localizedDescription)")
        }
    }

    static func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
            .standardizedFileURL.path
    }
}
