import ComposeSpec
import EngineAPI
import Logging

/// Applies a `Plan` through a `ContainerEngine`, in phases:
/// 1. images of every service the plan creates or recreates, before any container is touched, so
///    a failed pull leaves the running stack as it was;
/// 2. networks and volumes to create;
/// 3. container steps, service by service: a service starts when the services it waits for
///    (`Plan.waitsFor`) are done, at most `parallelism` services at a time; a service's own steps
///    run in plan order. A failure stops that service and skips those that wait for it; others
///    carry on, and nothing already running is stopped because of it;
/// 4. networks, volumes and images to remove (`down`).
public struct PlanExecutor: Sendable {
    public var engine: any ContainerEngine
    /// Services acted on at once (`up --parallel`); at least 1.
    public var parallelism: Int
    /// `up --pull`: overrides each service's `pull_policy`.
    public var pullPolicy: ImagePullPolicy?
    public var logger: Logger
    /// Called as each step starts and ends, from whichever task runs it, so the CLI can print
    /// compose's progress lines; the library itself never prints.
    public var progress: (@Sendable (PlanStep, StepEvent) -> Void)?
    /// How long a service waits for each `depends_on` condition other than `service_started`
    /// (seconds; nil waits as long as it takes: an unhealthy or failed dependency still ends it).
    public var dependencyTimeout: Double?

    /// What happened to a step, for `progress`.
    public enum StepEvent: Sendable, Hashable {
        case started
        case done
        case failed(ReconcilerError)
    }

    public init(engine: any ContainerEngine, parallelism: Int = 4, pullPolicy: ImagePullPolicy? = nil,
                logger: Logger = Logger(label: "berth.reconciler"),
                progress: (@Sendable (PlanStep, StepEvent) -> Void)? = nil) {
        self.engine = engine
        self.parallelism = max(1, parallelism)
        self.pullPolicy = pullPolicy
        self.logger = logger
        self.progress = progress
    }

    /// Makes the images of `services` (all when nil) present and returns `desired` with their ids,
    /// so a plan computed from it sees image changes. References shared by several services are
    /// fetched once. Throws the first failure (by service name), naming the others.
    public func ensureImages(_ desired: DesiredState, services: [String]? = nil) async throws(ReconcilerError) -> DesiredState {
        let names = (services ?? desired.services.keys.sorted()).filter { desired.services[$0] != nil }.sorted()
        var byReference: [String: (policy: ImagePullPolicy, services: [String])] = [:]
        for name in names {
            guard let service = desired.services[name] else { continue }
            let policy = pullPolicy ?? Self.policy(service.service.pullPolicy)
            let entry = byReference[service.imageReference]
            // The strictest policy wins when services share an image: `always` over `missing` over `never`.
            var merged = policy
            if let previous = entry?.policy, Self.strength(previous) > Self.strength(policy) { merged = previous }
            byReference[service.imageReference] = (merged, (entry?.services ?? []) + [name])
        }
        let references = byReference.keys.sorted()
        let policies = byReference.mapValues(\.policy)
        let engine = engine
        let results = await boundedMap(references, limit: parallelism) { reference -> Result<String, EngineErrorBox> in
            do {
                return .success(try await engine.ensureImage(reference, policy: policies[reference] ?? .missing))
            } catch {
                return .failure(EngineErrorBox(description: "\(error)"))
            }
        }
        var desired = desired
        var failures: [ReconcilerError] = []
        for (reference, result) in zip(references, results) {
            let users = byReference[reference]?.services ?? []
            switch result {
            case .success(let id):
                for name in users { desired.services[name]?.imageID = id }
            case .failure(let error):
                failures.append(ReconcilerError(.image, service: users.first, object: "image \(reference)", error.description))
            }
        }
        guard var first = failures.first else { return desired }
        if failures.count > 1 {
            first.message += " (and \(failures.count - 1) more: \(failures.dropFirst().map(\.object).joined(separator: ", ")))"
        }
        throw first
    }

    /// Applies `plan`. `desired` is needed when the plan creates or recreates containers (their
    /// specs come from it); `observed` is what the plan was computed from.
    public func apply(_ plan: Plan, desired: DesiredState?, observed: ObservedState) async -> ApplyReport {
        var report = ApplyReport()
        var desired = desired
        let containerSteps = plan.steps.filter { $0.container != nil }
        let leading = plan.steps.filter {
            if case .createNetwork = $0.action { return true }
            if case .createVolume = $0.action { return true }
            return false
        }
        let trailing = plan.steps.filter { $0.container == nil && !leading.contains($0) }

        // 1. Images.
        let creating = Set(containerSteps.compactMap { step -> String? in
            switch step.action {
            case .createContainer(let ref, _), .recreateContainer(let ref, _, _, _): return ref.service
            default: return nil
            }
        })
        if !creating.isEmpty {
            guard let current = desired else {
                report.failures.append(ReconcilerError(.invalidProject, object: "project \(plan.project)",
                                                       "the plan creates containers but no compose project was given"))
                report.skipped = plan.steps
                return report
            }
            do {
                desired = try await ensureImages(current, services: creating.filter { current.services[$0]?.imageID == nil }.sorted())
            } catch {
                report.failures.append(error)
                report.skipped = plan.steps
                return report
            }
        }

        // 2. Networks and volumes.
        for (index, step) in leading.enumerated() {
            progress?(step, .started)
            do {
                switch step.action {
                case .createNetwork(let spec): try await engine.createNetwork(spec)
                case .createVolume(let spec): try await engine.createVolume(spec)
                default: break
                }
                report.completed.append(step)
                progress?(step, .done)
            } catch {
                let failure = ReconcilerError(Self.errorCode(of: step), object: step.object, "\(error)")
                report.failures.append(failure)
                progress?(step, .failed(failure))
                report.skipped += leading.dropFirst(index + 1) + containerSteps + trailing
                return report
            }
        }

        // 3. Containers, service by service.
        await applyContainerSteps(containerSteps, plan: plan, desired: desired, observed: observed, into: &report)

        // 4. What goes after the containers.
        for step in trailing {
            progress?(step, .started)
            do {
                switch step.action {
                case .removeNetwork(let name): try await engine.removeNetwork(name: name)
                case .removeVolume(let name): try await engine.removeVolume(name: name)
                case .removeImage(let reference): try await engine.removeImage(reference)
                default: break
                }
                report.completed.append(step)
                progress?(step, .done)
            } catch {
                let failure = ReconcilerError(Self.errorCode(of: step), object: step.object, "\(error)")
                report.failures.append(failure)
                progress?(step, .failed(failure))
            }
        }
        return report
    }

    private struct ServiceResult: Sendable {
        var service: String
        var completed: [PlanStep] = []
        var skipped: [PlanStep] = []
        var failure: ReconcilerError?
        /// The id of the service's lowest-numbered container after its steps.
        var firstContainerID: String?
    }

    private func applyContainerSteps(_ steps: [PlanStep], plan: Plan, desired: DesiredState?,
                                     observed: ObservedState, into report: inout ApplyReport) async {
        var order: [String] = []
        var stepsByService: [String: [PlanStep]] = [:]
        for step in steps {
            guard let service = step.service else { continue }
            if stepsByService[service] == nil { order.append(service) }
            stepsByService[service, default: []].append(step)
        }
        // Ids by service and number, to resolve `service:x` and to track recreated containers.
        var containerIDs: [String: [Int: String]] = [:]
        for container in observed.containers.sorted(by: Planner.replicaOrder) where !container.isOneoff {
            guard let service = container.service, let number = container.number,
                  containerIDs[service]?[number] == nil else { continue }
            containerIDs[service, default: [:]][number] = container.id
        }
        var firstIDs = containerIDs.compactMapValues { ids in ids.keys.min().flatMap { ids[$0] } }

        var pending = order
        var unfinished = Set(order)
        var failed = Set<String>()
        await withTaskGroup(of: ServiceResult.self) { group in
            var running = 0
            while true {
                while running < parallelism,
                      let index = pending.firstIndex(where: { name in (plan.waitsFor[name] ?? []).allSatisfy { !unfinished.contains($0) } }) {
                    let name = pending.remove(at: index)
                    let serviceSteps = stepsByService[name] ?? []
                    if let blocker = (plan.waitsFor[name] ?? []).first(where: failed.contains) {
                        failed.insert(name)
                        unfinished.remove(name)
                        report.failures.append(ReconcilerError(.skipped, service: name, object: "service \(name)",
                                                               "not attempted: \(blocker) failed"))
                        report.skipped += serviceSteps
                        continue
                    }
                    let ids = containerIDs[name] ?? [:]
                    let snapshot = firstIDs
                    group.addTask {
                        if let failure = await self.awaitDependencies(of: name, steps: serviceSteps, desired: desired, firstIDs: snapshot) {
                            return ServiceResult(service: name, skipped: serviceSteps, failure: failure, firstContainerID: ids.keys.min().flatMap { ids[$0] })
                        }
                        return await self.run(service: name, steps: serviceSteps, desired: desired, ids: ids, firstIDs: snapshot)
                    }
                    running += 1
                }
                guard let result = await group.next() else { break }
                running -= 1
                unfinished.remove(result.service)
                report.completed += result.completed
                report.skipped += result.skipped
                if let failure = result.failure {
                    failed.insert(result.service)
                    report.failures.append(failure)
                }
                firstIDs[result.service] = result.firstContainerID
            }
        }
        // Only a cycle in `waitsFor` leaves services pending; plans from `Planner` have none.
        for name in pending {
            report.failures.append(ReconcilerError(.skipped, service: name, object: "service \(name)",
                                                   "not attempted: its ordering constraints form a cycle"))
            report.skipped += stepsByService[name] ?? []
        }
    }

    /// Waits, before a service's containers start, for the `depends_on` conditions of its
    /// dependencies (`waitsFor` already ordered it after them, which is `service_started`).
    /// Returns the failure that stops the service, or nil to go on. A dependency with no
    /// container (not selected, or optional and absent) is not waited for.
    private func awaitDependencies(of service: String, steps: [PlanStep], desired: DesiredState?,
                                   firstIDs: [String: String]) async -> ReconcilerError? {
        let starts = steps.contains { step in
            switch step.action {
            case .createContainer(_, let start), .recreateContainer(_, _, let start, _): start
            case .startContainer: true
            default: false
            }
        }
        guard starts, let dependsOn = desired?.project.services[service]?.dependsOn else { return nil }
        for (dependency, settings) in dependsOn.sorted(by: { $0.key < $1.key }) {
            let condition: ContainerCondition = switch settings.condition {
            case .serviceStarted: .started
            case .serviceHealthy: .healthy
            case .serviceCompletedSuccessfully: .completedSuccessfully
            }
            guard condition != .started else { continue }
            guard let id = firstIDs[dependency] else {
                logger.warning("service \(service): dependency \(dependency) has no container: \(condition.rawValue) not waited for")
                continue
            }
            logger.info("service \(service) waits for \(dependency): \(condition.rawValue)")
            do {
                try await engine.waitFor(condition, container: id, timeout: dependencyTimeout)
            } catch {
                return ReconcilerError(.dependency, service: service, object: "depends_on.\(dependency)",
                                       "\(condition.rawValue) not met, so \(service) was not started: \(error)")
            }
        }
        return nil
    }

    /// One service's steps in order; stops at the first failure.
    private func run(service: String, steps: [PlanStep], desired: DesiredState?, ids: [Int: String],
                     firstIDs: [String: String]) async -> ServiceResult {
        var result = ServiceResult(service: service)
        var ids = ids
        for (index, step) in steps.enumerated() {
            progress?(step, .started)
            do {
                try await perform(step, desired: desired, ids: &ids, firstIDs: firstIDs)
                result.completed.append(step)
                progress?(step, .done)
                logger.info("\(step.verb) \(step.object): \(step.reason)")
            } catch {
                result.failure = error
                progress?(step, .failed(error))
                result.skipped = Array(steps.dropFirst(index + 1))
                logger.error("\(step.verb) \(step.object) failed: \(error.message)")
                break
            }
        }
        result.firstContainerID = ids.keys.min().flatMap { ids[$0] }
        return result
    }

    private func perform(_ step: PlanStep, desired: DesiredState?, ids: inout [Int: String],
                         firstIDs: [String: String]) async throws(ReconcilerError) {
        guard let ref = step.container else { return }
        func fail(_ error: any Error, _ doing: String) -> ReconcilerError {
            if let error = error as? ReconcilerError { return error }
            return ReconcilerError(.container, service: ref.service, object: ref.shortName, "\(doing): \(error)")
        }
        func spec(name: String? = nil) throws(ReconcilerError) -> ContainerSpec {
            guard let desired, let service = desired.services[ref.service], let imageID = service.imageID else {
                throw ReconcilerError(.container, service: ref.service, object: ref.shortName,
                                      "no resolved configuration or image for service \(ref.service)")
            }
            var spec = try ContainerSpecBuilder.spec(for: service, number: ref.number, desired: desired,
                                                     imageID: imageID, containerIDs: firstIDs)
            if let name { spec.name = name }
            return spec
        }
        switch step.action {
        case .createContainer(_, let start):
            let spec = try spec()
            let id: String
            do { id = try await engine.createContainer(spec) } catch { throw fail(error, "create") }
            ids[ref.number] = id
            if start {
                do { try await engine.startContainer(id: id) } catch { throw fail(error, "start") }
            }
        case .recreateContainer(_, let stop, let start, let renew):
            guard let oldID = ref.id else { return }
            // Create the replacement under a temporary name while the old one still runs, as
            // compose does: if the create fails, the old container is untouched.
            var replacement = try spec(name: "\(oldID.prefix(12))_\(ref.name)")
            replacement.inheritAnonymousVolumesFrom = renew ? nil : oldID
            let newID: String
            do { newID = try await engine.createContainer(replacement) } catch { throw fail(error, "create replacement") }
            do {
                try await engine.stopContainer(id: oldID, signal: stop.signal, gracePeriod: stop.gracePeriod)
                try await engine.removeContainer(id: oldID, force: false, removeAnonymousVolumes: renew)
                try await engine.renameContainer(id: newID, to: ref.name)
            } catch { throw fail(error, "replace \(ref.name)") }
            ids[ref.number] = newID
            if start {
                do { try await engine.startContainer(id: newID) } catch { throw fail(error, "start") }
            }
        case .startContainer:
            guard let id = ref.id else { return }
            do { try await engine.startContainer(id: id) } catch { throw fail(error, "start") }
        case .removeContainer(_, let stop, let removeAnonymousVolumes):
            guard let id = ref.id else { return }
            do {
                if let stop { try await engine.stopContainer(id: id, signal: stop.signal, gracePeriod: stop.gracePeriod) }
                try await engine.removeContainer(id: id, force: false, removeAnonymousVolumes: removeAnonymousVolumes)
            } catch { throw fail(error, "remove") }
            ids[ref.number] = nil
        case .createNetwork, .createVolume, .removeNetwork, .removeVolume, .removeImage:
            return
        }
    }

    /// The error code of a failed step, by what it acts on.
    static func errorCode(of step: PlanStep) -> ReconcilerError.Code {
        switch step.action {
        case .createNetwork, .removeNetwork: .network
        case .createVolume, .removeVolume: .volume
        case .removeImage: .image
        case .createContainer, .recreateContainer, .startContainer, .removeContainer: .container
        }
    }

    static func policy(_ pullPolicy: String?) -> ImagePullPolicy {
        switch pullPolicy {
        case "always"?: .always
        case "never"?: .never
        default: .missing
        }
    }

    private static func strength(_ policy: ImagePullPolicy) -> Int {
        switch policy {
        case .never: 0
        case .missing: 1
        case .always: 2
        }
    }
}

/// An engine error carried across a task boundary as text (engines throw untyped errors).
struct EngineErrorBox: Error, Sendable {
    var description: String
}

/// `transform` over `items` with at most `limit` (at least 1) running at once; results in the order
/// of `items`. Public for the commands that act on a project's containers in waves.
public func boundedMap<T: Sendable, R: Sendable>(_ items: [T], limit: Int,
                                          _ transform: @escaping @Sendable (T) async -> R) async -> [R] {
    await withTaskGroup(of: (Int, R).self) { group in
        var results = [R?](repeating: nil, count: items.count)
        var next = 0
        while next < min(max(1, limit), items.count) {
            let index = next
            group.addTask { (index, await transform(items[index])) }
            next += 1
        }
        while let (index, value) = await group.next() {
            results[index] = value
            if next < items.count {
                let index = next
                group.addTask { (index, await transform(items[index])) }
                next += 1
            }
        }
        return results.compactMap { $0 }
    }
}
