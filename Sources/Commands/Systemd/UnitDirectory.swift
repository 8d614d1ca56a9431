import Foundation
import SystemdUnits

/// A directory of unit files, of which berth touches only those it generated for the project at
/// hand (`UnitGenerator.header`). Each file is replaced atomically, so systemd, or a berth killed
/// half-way, sees either the old unit or the new one, never a torn one; a re-run finishes the job.
struct UnitDirectory {
    let path: String
    /// What to do when the directory is not writable.
    var permissionHint = "choose a directory you can write"

    enum Change: String {
        case written, unchanged, removed
    }

    /// What applying `units` for `project` will do: write or leave each unit, and remove the
    /// project's units that are no longer generated (a service dropped from the file, a switch
    /// between the project and per-service layouts).
    struct Plan {
        var write: [GeneratedUnit] = []
        var unchanged: [String] = []
        var stale: [String] = []
    }

    func filePath(_ name: String) -> String { path + "/" + name }

    /// Names of the units in the directory generated for `project`, sorted.
    func owned(by project: String) throws -> [String] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: path)
        } catch {
            throw CommandFailure("cannot list \(path): \(error.localizedDescription)")
        }
        return try names.filter { $0.hasPrefix("berth-") && !$0.hasPrefix(".") }.sorted().filter { name in
            try owner(of: name) == project
        }
    }

    /// The project a file in the directory was generated for; nil when berth did not write it.
    func owner(of name: String) throws -> String? {
        guard let handle = FileHandle(forReadingAtPath: filePath(name)) else { return nil }
        defer { try? handle.close() }
        // The header is the first line; a few hundred bytes hold it whatever the project's name.
        let head = (try? handle.read(upToCount: 512)) ?? nil
        return head.flatMap { UnitGenerator.generatedProject(of: Substring(String(decoding: $0, as: UTF8.self))) }
    }

    /// Compares `units` with the directory. Refuses, before anything is written, to replace a
    /// file berth did not generate for `project`.
    func plan(_ units: [GeneratedUnit], project: String) throws -> Plan {
        var plan = Plan()
        for unit in units {
            let target = filePath(unit.name)
            guard let existing = FileManager.default.contents(atPath: target) else {
                plan.write.append(unit)
                continue
            }
            let owner = UnitGenerator.generatedProject(of: Substring(String(decoding: existing, as: UTF8.self)))
            guard owner == project else {
                let whose = owner.map { "it was generated for project \($0)" } ?? "berth did not generate it"
                throw CommandFailure("refusing to replace \(target): \(whose); move it away, or name this project differently with -p")
            }
            if existing == Data(unit.file.description.utf8) {
                plan.unchanged.append(unit.name)
            } else {
                plan.write.append(unit)
            }
        }
        let generated = Set(units.map(\.name))
        plan.stale = try owned(by: project).filter { !generated.contains($0) }
        return plan
    }

    /// Carries out `plan`, returning each unit's change in a stable order.
    func apply(_ plan: Plan) throws -> [(name: String, change: Change)] {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw CommandFailure("cannot create \(path): \(error.localizedDescription) (\(permissionHint))")
        }
        removeLeftovers()
        var changes: [(name: String, change: Change)] = []
        for unit in plan.write {
            try writeAtomically(Data(unit.file.description.utf8), to: unit.name)
            changes.append((unit.name, .written))
        }
        changes += plan.unchanged.map { ($0, .unchanged) }
        try remove(plan.stale)
        changes += plan.stale.map { ($0, .removed) }
        return changes.sorted { $0.name < $1.name }
    }

    func remove(_ names: [String]) throws {
        for name in names where FileManager.default.fileExists(atPath: filePath(name)) {
            do {
                try FileManager.default.removeItem(atPath: filePath(name))
            } catch {
                throw CommandFailure("cannot remove \(filePath(name)): \(error.localizedDescription)")
            }
        }
    }

    /// Temporary files a killed berth left behind; systemd ignores them (no unit suffix), but
    /// they should not pile up.
    private func removeLeftovers() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        for name in names where name.hasPrefix(".berth-") && name.hasSuffix(Self.temporarySuffix) {
            try? FileManager.default.removeItem(atPath: filePath(name))
        }
    }

    private static let temporarySuffix = ".berth-tmp"

    /// Write to a temporary file, fsync, rename over the unit, fsync the directory.
    private func writeAtomically(_ data: Data, to name: String) throws {
        let temporary = filePath("." + name + Self.temporarySuffix)
        let target = filePath(name)
        func failure(_ stage: String) -> CommandFailure {
            let denied = errno == EACCES || errno == EPERM
            return CommandFailure("cannot write \(target): \(stage): \(String(cString: strerror(errno)))"
                                  + (denied ? " (\(permissionHint))" : ""))
        }
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw failure("open \(temporary)") }
        var written = 0
        let ok = data.withUnsafeBytes { buffer -> Bool in
            while written < buffer.count {
                let count = write(descriptor, buffer.baseAddress.map { $0 + written }, buffer.count - written)
                if count < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                written += count
            }
            return true
        }
        guard ok, fsync(descriptor) == 0 else {
            let error = failure("write \(temporary)")
            close(descriptor)
            unlink(temporary)
            throw error
        }
        close(descriptor)
        guard rename(temporary, target) == 0 else {
            let error = failure("rename \(temporary)")
            unlink(temporary)
            throw error
        }
        let directory = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
    }
}
