import ComposeSpec
import EngineAPI
@testable import Reconciler

/// Small projects built in code, and the observed state an engine would report once they run.
enum Fixture {
    static let busybox = "sha256:" + String(repeating: "b", count: 64)
    static let busyboxNew = "sha256:" + String(repeating: "c", count: 64)

    static func service(_ name: String, image: String = "busybox", _ edit: (inout Service) -> Void = { _ in }) -> Service {
        var service = Service(name: name)
        service.image = image
        service.command = ["sleep", "infinity"]
        edit(&service)
        return service
    }

    static func project(_ services: [Service], named name: String = "demo", edit: (inout Project) -> Void = { _ in }) -> Project {
        var project = Project(name: name, workingDirectory: "/srv/demo")
        project.composeFiles = ["/srv/demo/compose.yaml"]
        for service in services { project.services[service.name] = service }
        edit(&project)
        return project
    }

    /// web → db, a common two-service stack.
    static func webAndDB(_ editWeb: (inout Service) -> Void = { _ in }, _ editDB: (inout Service) -> Void = { _ in }) -> Project {
        project([
            service("db", editDB),
            service("web") { web in
                web.dependsOn = ["db": ServiceDependency()]
                editWeb(&web)
            },
        ])
    }

    /// A project loaded from compose YAML as `berth` loads it (normalized, paths resolved against
    /// /srv/demo), for tests that need what only the loader produces.
    static func load(_ yaml: String, environment: [String: String] = [:]) throws -> Project {
        var options = ComposeLoader.Options(environment: environment, workingDirectory: "/srv/demo")
        options.files = ["-"]
        options.projectName = "demo"
        options.projectDirectory = "/srv/demo"
        options.readStandardInput = { Array(yaml.utf8) }
        return try ComposeLoader(options: options).load().project
    }

    static func desired(_ project: Project, imageID: String = busybox) throws -> DesiredState {
        try DesiredState(project: project, imageIDs: Dictionary(uniqueKeysWithValues: project.services.keys.map { ($0, imageID) }))
    }

    /// What an engine reports after `up` of `project`: every replica running with the labels and
    /// recorded configuration `ContainerSpecBuilder` gives it, its networks and volumes present.
    static func running(_ project: Project, imageID: String = busybox, recordConfig: Bool = true,
                        state: ObservedContainer.State = .running) throws -> ObservedState {
        let desired = try desired(project, imageID: imageID)
        var observed = ObservedState(project: project.name)
        var ids: [String: String] = [:]
        for name in desired.graph.startOrder {
            guard let service = desired.services[name] else { continue }
            for number in 1...max(1, service.service.replicas) where service.service.replicas > 0 {
                ids[name] = ids[name] ?? "id-\(name)-\(number)"
                let spec = try ContainerSpecBuilder.spec(for: service, number: number, desired: desired,
                                                         imageID: imageID, containerIDs: ids)
                observed.containers.append(ObservedContainer(
                    id: "id-\(name)-\(number)", name: spec.name, labels: spec.labels, imageID: spec.imageID,
                    imageReference: spec.image, state: state, exitCode: state == .exited ? 0 : nil,
                    created: Double(observed.containers.count), recordedConfig: recordConfig ? spec.recordedConfig : nil))
            }
        }
        let services = Array(desired.services.values)
        for key in Set(services.flatMap { desired.networkKeys(of: $0.service) }).sorted() {
            let spec = desired.networkSpec(key)
            observed.networks.append(ObservedNetwork(id: "net-\(key)", name: spec.name, labels: spec.labels))
        }
        for key in Set(services.flatMap { desired.volumeKeys(of: $0.service) }).sorted() {
            let spec = desired.volumeSpec(key)
            observed.volumes.append(ObservedVolume(name: spec.name, labels: spec.labels))
        }
        return observed
    }

    /// A container of `project` for service `service` that no current file describes.
    static func container(project: String = "demo", service: String, number: Int, state: ObservedContainer.State = .running,
                          oneoff: Bool = false) -> ObservedContainer {
        ObservedContainer(id: "id-\(service)-\(number)", name: "\(project)-\(service)-\(number)",
                          labels: [ResourceLabels.project: project, ResourceLabels.service: service,
                                   ResourceLabels.containerNumber: String(number), ResourceLabels.configHash: "old",
                                   ResourceLabels.oneoff: ResourceLabels.boolean(oneoff)],
                          imageID: busybox, imageReference: "busybox", state: state)
    }
}

extension Plan {
    /// `verb object: reason` per step, the compact form tables compare against.
    var summary: [String] { steps.map { "\($0.verb) \($0.object): \($0.reason)" } }
}
