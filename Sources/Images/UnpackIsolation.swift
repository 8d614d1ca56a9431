import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Where layers are unpacked, and where unpacked trees are removed again.
///
/// Rootless, a layer must be unpacked as its files will be seen inside containers: a container
/// runs in a user namespace where 0 is the user and 1… are the user's subordinate IDs, so a file
/// owned by uid 1000 in the layer must be owned on the host by the subordinate ID that maps to
/// 1000. Only a process inside such a namespace can create those owners, so the unpack runs in a
/// helper: `berth-init userns-exec` (a small C program, since a multi-threaded Swift process cannot
/// `unshare(CLONE_NEWUSER)`) forks a child that unshares, has newuidmap/newgidmap write the same
/// maps the runtime gives containers, becomes root there and execs the hidden
/// `berth image unpack-layer`. Trees owned by subordinate IDs can then only be removed from inside
/// such a namespace too (`rm -rf` through the same helper).
public enum UnpackIsolation: Sendable, Hashable {
    /// In this process. As root, owners are restored as the tar has them. Rootless without a
    /// subordinate range every file is owned by the user, which is what the runtime's single-ID
    /// fallback maps to container root; `warning` says what is lost and how to fix it.
    case inProcess(warning: String?)
    /// In a helper process inside a user namespace mapped as rootless containers are.
    case userNamespace(UserNamespaceHelper)

    /// Root: in process. Rootless: the user namespace when the user has /etc/subuid and
    /// /etc/subgid ranges, newuidmap/newgidmap are installed and `berth-init` and `berth` are
    /// found (beside the running executable, or `BERTH_EXECUTABLE`); else in process, with the
    /// reason as a warning.
    public static func current(environment: [String: String] = ProcessInfo.processInfo.environment) -> UnpackIsolation {
        guard geteuid() != 0 else { return .inProcess(warning: nil) }
        let uid = getuid(), gid = getgid()
        var name = "\(uid)"
        if let entry = getpwuid(uid), let pwName = entry.pointee.pw_name { name = String(cString: pwName) }
        let explicit = environment["BERTH_EXECUTABLE"].flatMap { $0.isEmpty ? nil : $0 }
        // /proc/self/exe, not argv[0]: `berth` found on PATH has no directory in argv[0].
        let executable = explicit ?? (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        let directory = URL(fileURLWithPath: executable).deletingLastPathComponent().path
        let berth = explicit ?? directory + "/berth", initPath = directory + "/berth-init"
        return rootless(
            user: name, uid: uid, gid: gid,
            subuid: (try? String(contentsOfFile: "/etc/subuid", encoding: .utf8)) ?? "",
            subgid: (try? String(contentsOfFile: "/etc/subgid", encoding: .utf8)) ?? "",
            helpers: access(uidHelper, X_OK) == 0 && access(gidHelper, X_OK) == 0,
            initPath: access(initPath, X_OK) == 0 ? initPath : nil,
            berthPath: access(berth, X_OK) == 0 ? berth : nil)
    }

    static let uidHelper = "/usr/bin/newuidmap", gidHelper = "/usr/bin/newgidmap"

    /// The rootless choice from what `current` found: the texts of /etc/subuid and /etc/subgid,
    /// whether newuidmap/newgidmap are installed, and the two executables (nil when missing).
    static func rootless(user: String, uid: UInt32, gid: UInt32, subuid: String, subgid: String,
                         helpers: Bool, initPath: String?, berthPath: String?) -> UnpackIsolation
    {
        guard let uidRange = subordinateRange(in: subuid, user: user, id: uid),
              let gidRange = subordinateRange(in: subgid, user: user, id: uid)
        else { return .inProcess(warning: noRangeWarning) }
        guard helpers else {
            return .inProcess(warning: "newuidmap/newgidmap not found (install the uidmap package): layers are unpacked with every file owned by you, so files the image gives other owners appear as root in containers")
        }
        guard let initPath, let berthPath else {
            return .inProcess(warning: "berth-init or berth not found beside the running executable: layers are unpacked with every file owned by you")
        }
        return .userNamespace(UserNamespaceHelper(
            initPath: initPath, berthPath: berthPath, uidHelper: uidHelper, gidHelper: gidHelper,
            uidMap: "0 \(uid) 1 1 \(uidRange.start) \(uidRange.count)",
            gidMap: "0 \(gid) 1 1 \(gidRange.start) \(gidRange.count)"))
    }

    /// Said once per unpack when a rootless user has no subordinate range, as the runtime says it
    /// when it maps only the user's own ID.
    public static let noRangeWarning = "no range for this user in /etc/subuid or /etc/subgid: layers are unpacked with every file owned by you (container root); other owners in the image are lost. Add a range, e.g. `usermod --add-subuids 100000-165535 --add-subgids 100000-165535 $USER`"

    /// The first range of `user` (name or numeric ID) in the text of /etc/subuid or /etc/subgid.
    /// (Runtime's `IDMapping` reads the same files; Images may not import Runtime, and both take
    /// the first range, so containers and layers always agree.)
    static func subordinateRange(in text: String, user: String, id: UInt32) -> (start: UInt32, count: UInt32)? {
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count == 3, fields[0] == user || fields[0] == "\(id)",
                  let start = UInt32(fields[1]), let count = UInt32(fields[2]), count > 0 else { continue }
            return (start, count)
        }
        return nil
    }
}

/// The programs and maps that run a command as root of a rootless container's user namespace.
public struct UserNamespaceHelper: Sendable, Hashable, Codable {
    /// `berth-init`, whose `userns-exec` role makes the namespace.
    public var initPath: String
    /// `berth`, whose hidden `image unpack-layer` unpacks inside it.
    public var berthPath: String
    public var uidHelper: String
    public var gidHelper: String
    /// newuidmap's triples: `0 <uid> 1 1 <subuid start> <count>`.
    public var uidMap: String
    public var gidMap: String

    public init(initPath: String, berthPath: String, uidHelper: String, gidHelper: String, uidMap: String, gidMap: String) {
        self.initPath = initPath
        self.berthPath = berthPath
        self.uidHelper = uidHelper
        self.gidHelper = gidHelper
        self.uidMap = uidMap
        self.gidMap = gidMap
    }

    /// Unpacks `archive` into `destination` inside the namespace, with owners restored.
    func unpack(archive: URL, into destination: URL, expectedDiffID: String?, mode: LayerUnpacker.Mode) throws(ImageError) -> UnpackReport {
        var arguments = [berthPath, "image", "unpack-layer", "--archive", archive.path, "--into", destination.path]
        if let expectedDiffID { arguments += ["--diff-id", expectedDiffID] }
        switch mode {
        case .overlay(let userXattr): arguments += ["--mode", userXattr ? "overlay-user" : "overlay-trusted"]
        case .plain: arguments += ["--mode", "plain"]
        }
        let result = try run(arguments)
        let outcome: UnpackOutcome
        do {
            outcome = try JSONDecoder().decode(UnpackOutcome.self, from: result.output)
        } catch {
            throw ImageError(.io, archive.lastPathComponent,
                             "unpacking in the user namespace failed (status \(result.status)): \(result.errors.isEmpty ? "no answer" : result.errors)")
        }
        if let error = outcome.error { throw error }
        guard let report = outcome.report else {
            throw ImageError(.io, archive.lastPathComponent, "unpacking in the user namespace gave no report (status \(result.status))")
        }
        return report
    }

    /// `rm -rf` inside the namespace, where the subordinate owners of the tree are root's to remove.
    func removeTree(_ url: URL) throws(ImageError) {
        let result = try run(["/bin/rm", "-rf", "--one-file-system", url.path])
        guard result.status == 0 else {
            throw ImageError(.io, url.path, "cannot remove in the user namespace: \(result.errors)")
        }
    }

    private func run(_ command: [String]) throws(ImageError) -> (status: Int32, output: Data, errors: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: initPath)
        process.arguments = ["userns-exec", uidHelper, gidHelper, uidMap, gidMap] + command
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw ImageError(.io, initPath, "cannot start the user-namespace helper: \(error.localizedDescription)")
        }
        // Stderr is drained on another thread so that neither pipe can fill and stall the helper.
        let errorData = Mutex(Data())
        let drained = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            let data = errors.fileHandleForReading.readDataToEndOfFile()
            errorData.withLock { $0 = data }
            drained.signal()
        }
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        drained.wait()
        let text = errorData.withLock { String(decoding: $0, as: UTF8.self) }
        return (process.terminationStatus, outputData, text.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

/// What `berth image unpack-layer` prints: the report, or the error, as JSON.
public struct UnpackOutcome: Sendable, Hashable, Codable {
    public var report: UnpackReport?
    public var error: ImageError?

    public init(report: UnpackReport? = nil, error: ImageError? = nil) {
        self.report = report
        self.error = error
    }
}
