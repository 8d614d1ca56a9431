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
            var container = ObservedContainer(
                id: current.id, name: current.name, labels: current.labels, imageID: current.imageID,
                imageReference: current.image, state: ObservedContainer.State(rawValue: current.state.rawValue) ?? .dead,
                exitCode: current.exitCode.map { Int32(truncatingIfNeeded: $0) }, created: current.createdAt.timeIntervalSince1970,
                recordedConfig: current.recordedConfig)
            container.publishedPorts = current.publishedPorts.map {
                ObservedContainer.PublishedPort(hostIP: $0.hostIP, hostPort: $0.hostPort, containerPort: $0.containerPort, proto: $0.proto)
            }
            container.networks = current.networks.map {
                ObservedContainer.NetworkAddress(network: $0.network, interface: $0.interface, ipv4Address: $0.ipv4Address,
                                                 macAddress: $0.macAddress, aliases: $0.aliases, ipv6Address: $0.ipv6Address)
            }
            container.restartCount = current.restartCount
            container.stoppedByUser = current.stoppedByUser
            container.health = current.health
            containers.append(container)
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
        if updated.state == .exited && !updated.networks.isEmpty {
            // Its network namespace went with its processes, and the veths with it.
            updated.networks = []
            try releaseAddresses(of: record.id)
        }
        guard updated != record else { return updated }
        // Only the run-state fields: another process (the supervisor, a `stop`) may have changed
        // the others since `record` was read, and its stoppedByUser or health must not be undone.
        let state = updated.state, pid = updated.pid, exitCode = updated.exitCode, finishedAt = updated.finishedAt
        let networks = updated.networks
        let written = try stateCall(object) { () throws(StateError) in
            try store.updateContainer(id: record.id) { current in
                current.state = state
                current.pid = pid
                current.exitCode = exitCode
                current.finishedAt = finishedAt
                current.networks = networks
            }
        }
        if record.state != .exited && updated.state == .exited {
            appendEvent("die", updated, updated.exitCode.map { ["exitCode": String($0)] } ?? [:])
        }
        return written ?? updated
    }
}
