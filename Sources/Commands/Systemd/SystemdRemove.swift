import ArgumentParser
import ComposeSpec
import Foundation

/// `berth systemd remove`: undoes `generate --install` (or `--files`): disables the project's
/// units, stops them with `--now`, deletes the files berth generated for the project, and
/// reloads systemd. Files berth did not write are never touched.
struct SystemdRemove: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove",
        abstract: "Disable and delete the project's systemd units.")

    @OptionGroup var project: ProjectOptions

    @OptionGroup var scope: SystemdScopeOptions

    @Option(name: .customLong("files"), help: ArgumentHelp("Remove the units from this directory instead of systemd's.", valueName: "dir"))
    var directory: String?

    @Flag(help: "Stop the units too, not only disable them.")
    var now = false

    func validate() throws {
        if directory != nil, now { throw ValidationError("--now acts on installed units; --files names a directory systemd does not read") }
    }

    func run() throws {
        let name = try projectName()
        if let directory {
            let unitDirectory = UnitDirectory(path: SystemdGenerate.absolute(directory))
            try remove(try unitDirectory.owned(by: name), from: unitDirectory, project: name)
            return
        }
        let host = try SystemdHost(scope: scope.resolved)
        let unitDirectory = UnitDirectory(path: host.unitDirectory)
        let owned = try unitDirectory.owned(by: name)
        if !owned.isEmpty, host.systemctl != nil {
            try host.run(["disable"] + (now ? ["--now"] : []) + owned)
        }
        let removed = try remove(owned, from: unitDirectory, project: name)
        if host.systemctl != nil {
            // Even with nothing left to delete: a berth killed after deleting and before
            // reloading left the manager holding units whose files are gone.
            try host.run(["daemon-reload"])
        } else if removed {
            // Nothing can run under a systemd that is not running, so --now holds as it is.
            Console.note("\(SystemdHost.notRunning): nothing was running under it; run `\(host.command(["daemon-reload"]))` when systemd runs")
        }
    }

    /// Deletes `units` and says so; false when there was nothing to delete.
    @discardableResult
    func remove(_ units: [String], from directory: UnitDirectory, project: String) throws -> Bool {
        guard !units.isEmpty else {
            Console.out("nothing to remove: no unit in \(directory.path) was generated for project \(project)")
            return false
        }
        try directory.remove(units)
        for unit in units { Console.out("removed \(directory.filePath(unit))") }
        return true
    }

    /// `-p NAME` alone is enough, so units can be removed after their compose file is gone;
    /// otherwise the project is loaded for its name, as every other command does.
    func projectName() throws -> String {
        if let name = project.projectName {
            guard ProjectName.isValid(name) else {
                throw CommandFailure("invalid project name \"\(name)\": use lowercase letters, digits, dashes and underscores, starting with a letter or digit")
            }
            return name
        }
        do {
            return try project.load().name
        } catch let failure as CommandFailure {
            throw CommandFailure("\(failure.message) (pass -p NAME to remove a project's units without its compose file)")
        }
    }
}
