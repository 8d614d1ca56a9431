import EngineAPI
import Foundation
import SystemSupport

/// Secrets and configs as files. Each container gets its own copy under its data directory
/// (`<data>/containers/<id>/files/<n>`, the directory 0700 so no other host user reaches it),
/// bind-mounted read-only at its target. A copy rather than the user's file: the owner and mode
/// the service asks for apply to the copy only, and a later edit of the file changes nothing in
/// a running container (the config hash covers the content, so `up` recreates it instead).
///
/// The owner is the one seen inside the container. Rootful, containers use the host's IDs and
/// the file is chowned directly. Rootless, container IDs other than root map to subordinate IDs
/// that only the container's user namespace may give a file: the chown runs inside it
/// (`nsenter -U` into the launched container, whose root is this user), before its entrypoint.
struct FileMounts {
    /// `<data>/containers/<id>/files`.
    var directory: String
    var rootless: Bool

    /// A file whose owner must still be set from inside the container's user namespace.
    struct PendingOwner: Sendable, Hashable {
        var path: String
        var uid: UInt32
        var gid: UInt32
    }

    /// Docker's mode for secrets and configs when the service gives none.
    static let defaultMode: UInt32 = 0o444

    /// Writes the file of `mount` (number `index` among the container's mounts) and returns its
    /// host path, with the owner still to set rootless.
    func materialize(_ mount: ContainerSpec.Mount, index: Int, object: String) throws(EngineError) -> (path: String, pending: PendingOwner?) {
        let what = mount.name ?? mount.target
        let uid = try Self.id(mount.uid, key: "uid", what: what, object: object)
        let gid = try Self.id(mount.gid, key: "gid", what: what, object: object)
        let mode = mount.mode ?? Self.defaultMode
        guard mode & ~0o7777 == 0 else {
            throw EngineError(.invalidState, object: object, "\(what): mode \(String(mode, radix: 8)) is not a file mode (expected e.g. 0440)")
        }
        let bytes: [UInt8]
        if let content = mount.content {
            bytes = Array(content.utf8)
        } else if let source = mount.source {
            var info = stat()
            guard stat(source, &info) == 0 else {
                throw EngineError(.notFound, object: object, "\(what): file \(source): \(String(cString: strerror(errno))): create it or fix the path")
            }
            guard info.st_mode & S_IFMT == S_IFREG else {
                throw EngineError(.unsupported, object: object, "\(what): \(source) is not a regular file; secrets and configs are single files")
            }
            do { bytes = try Files.readBytes(source, stage: "read \(what)") } catch {
                throw EngineError(.failed, object: object, error.description)
            }
        } else {
            throw EngineError(.invalidState, object: object, "\(what) has no file, environment or content")
        }
        let path = directory + "/\(index)"
        do {
            try Files.makeDirectories(directory, mode: 0o700, stage: "secrets and configs")
            // Written private first: the mode asked for may be wider, and is set once the bytes are in.
            try Files.writeAtomically(path, bytes, mode: 0o600, stage: "write \(what)")
        } catch {
            throw EngineError(.failed, object: object, error.description)
        }
        guard chmod(path, mode_t(mode)) == 0 else {
            throw EngineError(.failed, object: object, "\(what): chmod \(path): \(String(cString: strerror(errno)))")
        }
        if uid == 0 && gid == 0 && rootless { return (path, nil) }  // container root is this user
        if rootless { return (path, PendingOwner(path: path, uid: uid, gid: gid)) }
        guard chown(path, uid, gid) == 0 else {
            throw EngineError(.failed, object: object, "\(what): chown \(path) to \(uid):\(gid): \(String(cString: strerror(errno)))")
        }
        return (path, nil)
    }

    /// Gives `pending` files their owners from inside the user namespace of the launched
    /// container `pid`: the chown runs as that namespace's root, which may give any ID it maps.
    static func setOwners(_ pending: [PendingOwner], containerPID pid: Int32, object: String) throws(EngineError) {
        guard !pending.isEmpty else { return }
        guard let nsenter = NetworkFirewall.nsenter else {
            throw EngineError(.unsupported, object: object,
                              "a secret or config owned by a uid or gid other than 0 needs nsenter rootless (util-linux): install it, or leave out uid and gid")
        }
        for file in pending {
            let arguments = [nsenter, "-t", "\(pid)", "-U", "--", "/bin/chown", "\(file.uid):\(file.gid)", file.path]
            do {
                let outcome = try Spawn.runHelper(nsenter, arguments: arguments, environment: ["PATH=/usr/bin:/bin"], stage: "chown")
                guard outcome.status.shellCode == 0 else {
                    throw EngineError(.failed, object: object,
                                      "giving \(file.path) the owner \(file.uid):\(file.gid) in the container's user namespace: \(arguments.joined(separator: " ")): exit \(outcome.status.shellCode): \(outcome.errors) (are the IDs inside this user's /etc/subuid and /etc/subgid ranges?)")
                }
            } catch let error as SystemError {
                throw EngineError(.failed, object: object, error.description)
            } catch let error as EngineError {
                throw error
            } catch {
                throw EngineError(.failed, object: object, "\(error)")
            }
        }
    }

    /// A numeric `uid` or `gid`; compose writes them as strings of digits.
    static func id(_ text: String?, key: String, what: String, object: String) throws(EngineError) -> UInt32 {
        guard let text, !text.isEmpty else { return 0 }
        guard let value = UInt32(text), value != UInt32.max else {
            throw EngineError(.invalidState, object: object, "\(what): \(key) \"\(text)\" must be a number (names are not looked up)")
        }
        return value
    }
}
