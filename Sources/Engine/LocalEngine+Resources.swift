import EngineAPI
import Foundation
import OCISpec
import StateStore
import SystemSupport

extension LocalEngine {
    /// The label that ties an anonymous volume to the container that made it, so that
    /// `removeContainer(removeAnonymousVolumes:)` finds it. Anonymous volumes belong to no project.
    static let anonymousVolumeOwner = "dev.berth.anonymous-volume.container"
    /// Where the owner mounts it, so that a replacement container takes over the right one.
    static let anonymousVolumeTarget = "dev.berth.anonymous-volume.target"

    /// A local volume: a directory `<data>/volumes/<name>/_data`, as docker lays them out.
    public func createVolume(_ spec: VolumeSpec) async throws(EngineError) {
        let object = "volume \(spec.name)"
        if spec.driver.map({ $0 != "local" }) ?? false {
            throw EngineError(.unsupported, object: object, "volume driver \(spec.driver ?? "") is not supported; use local")
        }
        if !spec.driverOptions.isEmpty {
            throw EngineError(.unsupported, object: object, "driver_opts are not supported for local volumes yet")
        }
        _ = try makeVolume(name: spec.name, project: spec.labels[ResourceLabels.project] ?? "", labels: spec.labels)
    }

    public func removeVolume(name: String) async throws(EngineError) {
        let object = "volume \(name)"
        let volume = locations.volume(name)
        let users = try allContainers().filter { container in
            guard let bytes = try? Files.readBytes(locations.layer(container.id) + "/config.json", stage: "volume"),
                  let spec = try? JSONDecoder().decode(RuntimeSpec.self, from: Data(bytes))
            else { return false }
            return (spec.mounts ?? []).contains { $0.source == volume || $0.source?.hasPrefix(volume + "/") == true }
        }
        if let user = users.first {
            throw EngineError(.conflict, object: object, "the volume is used by container \(user.name): remove that container first")
        }
        let directory = (locations.volume(name) as NSString).deletingLastPathComponent
        if Files.exists(directory) {
            do { try Files.removeTree(directory, stage: "remove volume") } catch {
                throw EngineError(.failed, object: object, error.description)
            }
        }
        try stateCall(object) { () throws(StateError) in try store.removeVolume(name: name) }
    }

    /// The host directory for a volume mount: a named volume is created on first use (docker's
    /// implicit creation); an anonymous one is taken over from `inheritFrom` (the container this
    /// one replaces) when it had one at the same target, else made for this container.
    func volumeDirectory(for mount: ContainerSpec.Mount, index: Int, container id: String, inheritFrom: String?,
                         object: String) throws(EngineError) -> String {
        if mount.kind == .anonymousVolume {
            let labels = [Self.anonymousVolumeOwner: id, Self.anonymousVolumeTarget: mount.target]
            if let inheritFrom {
                let volumes = try stateCall(object) { () throws(StateError) in try store.volumes(project: "") }
                if var previous = volumes.first(where: {
                    $0.labels[Self.anonymousVolumeOwner] == inheritFrom && $0.labels[Self.anonymousVolumeTarget] == mount.target
                }) {
                    previous.labels = labels
                    let updated = previous
                    try stateCall(object) { () throws(StateError) in try store.save(updated) }
                    return updated.mountpoint
                }
            }
            return try makeVolume(name: "\(id.prefix(12))-\(index)", project: "", labels: labels)
        }
        guard let name = mount.source, !name.isEmpty, !name.contains("/"), !name.hasPrefix(".") else {
            throw EngineError(.invalidState, object: object, "volume mount on \(mount.target) needs a volume name")
        }
        if Files.exists(locations.volume(name)) { return locations.volume(name) }
        return try makeVolume(name: name, project: "", labels: [:])
    }

    /// Fills each empty volume the container mounts with what the image holds at its target, as
    /// docker does on first use: a database image's initial files, a web root. `volume.nocopy`,
    /// a `subpath` and a volume that already holds anything are left alone. Owners are kept
    /// rootful; rootless the copies belong to the user (container root), who cannot give files
    /// to other IDs outside the container's user namespace.
    func fillEmptyVolumes(_ spec: ContainerSpec, mounts: [RuntimeSpec.Mount], layers: [String], object: String) throws(EngineError) {
        for mount in spec.mounts where (mount.kind == .volume || mount.kind == .anonymousVolume) && !mount.noCopy
            && (mount.subpath ?? "").isEmpty {
            guard let source = mounts.last(where: { $0.destination == mount.target && $0.type == "bind" })?.source,
                  let entries = try? FileManager.default.contentsOfDirectory(atPath: source), entries.isEmpty else { continue }
            // Top layer first, as overlay stacks them; no writable layer yet.
            let image = ContainerFiles(.layered(upper: source + "/.berth-no-upper", lower: layers.reversed()), container: spec.name)
            guard let components = try? image.resolve(mount.target), image.lookup(components) != nil else { continue }
            try image.copyOut(mount.target + "/.", to: source, archive: !rootless)
        }
    }

    private func makeVolume(name: String, project: String, labels: [String: String]) throws(EngineError) -> String {
        let object = "volume \(name)"
        let path = locations.volume(name)
        do { try Files.makeDirectories(path, stage: "create volume") } catch {
            throw EngineError(.failed, object: object, error.description)
        }
        let record = VolumeRecord(name: name, project: project, mountpoint: path, labels: labels)
        try stateCall(object) { () throws(StateError) in try store.save(record) }
        return path
    }

    /// Every container in the store, whatever its project.
    func allContainers() throws(EngineError) -> [StoredContainer] {
        try stateCall("state database") { () throws(StateError) -> [StoredContainer] in
            var all: [StoredContainer] = []
            for project in try store.projects() { all += try store.containers(project: project.name) }
            return all
        }
    }
}
