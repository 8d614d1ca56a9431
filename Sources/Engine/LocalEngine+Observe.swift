import EngineAPI
import Foundation
import OCISpec
import Runtime
import StateStore

extension LocalEngine {
    /// The project's records, each checked against the runtime first: a container whose process
    /// ended since the last command shows `exited` with the code its monitor recorded, and one
    /// the runtime no longer knows (its live state went with a reboot) shows `exited`.
    public func observe(project: String) async throws(EngineError) -> ObservedState {
        let object = "project \(project)"
        let records = try stateCall(object) { () throws(StateError) in try store.containers(project: project) }
        var containers: [ObservedContainer] = []
        for record in records {
            let current = try refresh(record)
            containers.append(ObservedContainer(
                id: current.id, name: current.name, labels: current.labels, imageID: current.imageID,
                imageReference: current.image, state: ObservedContainer.State(rawValue: current.state.rawValue) ?? .dead,
                exitCode: current.exitCode.map { Int32(truncatingIfNeeded: $0) }, created: current.createdAt.timeIntervalSince1970,
                recordedConfig: current.recordedConfig))
        }
        let networks = try stateCall(object) { () throws(StateError) in try store.networks(project: project) }
        let volumes = try stateCall(object) { () throws(StateError) in try store.volumes(project: project) }
        return ObservedState(project: project, containers: containers,
                             networks: networks.map { ObservedNetwork(id: $0.name, name: $0.name, labels: $0.labels) },
                             volumes: volumes.map { ObservedVolume(name: $0.name, labels: $0.labels) })
    }

    /// Brings one record in step with the runtime and saves it when it changed.
    @discardableResult
    func refresh(_ record: StoredContainer) throws(EngineError) -> StoredContainer {
        var updated = record
        let object = "container \(record.name)"
        switch try runtimeState(record.id, object: object)?.status {
        case .running:
            updated.state = .running
        case .paused:
            updated.state = .paused
        case .created, .creating:
            updated.state = .created
        case .stopped:
            if record.state != .exited || record.exitCode == nil {
                updated.state = .exited
                updated.pid = nil
                updated.exitCode = runtime.exitRecord(record.id).map { Int($0.exitCode) }
                updated.finishedAt = Date()
            }
        case nil:
            if record.state != .exited {
                updated.state = .exited
                updated.pid = nil
                updated.finishedAt = Date()
            }
        }
        if updated != record {
            try save(updated)
            if record.state != .exited && updated.state == .exited {
                appendEvent("die", updated, updated.exitCode.map { ["exitCode": String($0)] } ?? [:])
            }
        }
        return updated
    }
}
