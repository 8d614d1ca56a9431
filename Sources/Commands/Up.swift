import ArgumentParser
import ComposeSpec
import Engine
import EngineAPI
import Foundation
import Reconciler

/// `berth up -d [SERVICE…]`, as `docker compose up -d`: observe the project, plan the difference
/// with the desired state, apply it. The plan is computed and applied under the project lock so
/// two commands on one project never interleave.
struct Up: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create and start containers.")

    @OptionGroup var project: ProjectOptions

    @Flag(name: .shortAndLong, help: "Detached mode: run containers in the background (required until attached mode exists).")
    var detach = false

    @Flag(name: .long, help: "Print the plan, with the reason of each step, and act on nothing.")
    var dryRun = false

    @Flag(name: .long, help: "Recreate containers even if their configuration and image haven't changed.")
    var forceRecreate = false

    @Flag(name: .long, help: "If containers already exist, don't recreate them.")
    var noRecreate = false

    @Flag(name: .long, help: "Recreate dependent containers.")
    var alwaysRecreateDeps = false

    @Flag(name: .long, help: "Don't start linked services.")
    var noDeps = false

    @Flag(name: .long, help: "Remove containers for services not defined in the Compose file.")
    var removeOrphans = false

    @Option(name: .long, help: ArgumentHelp("Scale SERVICE to NUM instances (repeatable).", valueName: "SERVICE=NUM"))
    var scale: [String] = []

    @Flag(name: .long, help: "Don't start the services after creating them.")
    var noStart = false

    @Option(name: .shortAndLong, help: "Seconds to wait for a container to stop before killing it.")
    var timeout: Int?

    @Option(name: .long, help: "Services acted on at once.")
    var parallel = 4

    @Flag(name: .long, help: "Wait for services to be running and healthy (one-shot services: exited 0). Implies --detach.")
    var wait = false

    @Option(name: .long, help: ArgumentHelp("Maximum duration in seconds to wait for the project to be running and healthy.", valueName: "seconds"))
    var waitTimeout: Int?

    @Argument(help: "Services to start (default: all).")
    var services: [String] = []

    func validate() throws {
        _ = try Self.scales(scale)
        if forceRecreate && noRecreate { throw ValidationError("--force-recreate and --no-recreate are incompatible") }
        if parallel < 1 { throw ValidationError("--parallel must be at least 1") }
        if let timeout, timeout < 0 { throw ValidationError("--timeout must not be negative") }
        if let waitTimeout, waitTimeout <= 0 { throw ValidationError("--wait-timeout must be a positive number of seconds") }
        if waitTimeout != nil && !wait { throw ValidationError("--wait-timeout needs --wait") }
    }

    /// `--scale web=3 --scale db=1` → `[web: 3, db: 1]`.
    static func scales(_ arguments: [String]) throws -> [String: Int] {
        var scales: [String: Int] = [:]
        for argument in arguments {
            let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, let count = Int(parts[1]), count >= 0 else {
                throw ValidationError("--scale \(argument): expected SERVICE=NUM with NUM a non-negative number")
            }
            scales[parts[0]] = count
        }
        return scales
    }

    var options: UpOptions {
        var options = UpOptions()
        options.forceRecreate = forceRecreate
        options.noRecreate = noRecreate
        options.alwaysRecreateDeps = alwaysRecreateDeps
        options.noDeps = noDeps
        options.services = services
        options.scale = (try? Self.scales(scale)) ?? [:]  // validated in validate()
        options.noStart = noStart
        options.removeOrphans = removeOrphans
        options.timeout = timeout.map(Double.init)
        return options
    }

    func run() async throws {
        guard detach || dryRun || wait else {
            throw CommandFailure("attached mode comes with the logs work; run `berth up -d` for now")
        }
        let loaded = try project.load(services: services)
        let session = try EngineSession()
        try await apply(loaded, session: session)
        guard !dryRun else { return }
        // The supervisor applies restart policies and health checks from here on.
        session.reloadSupervisor(project: loaded.name)
        if wait { try await waitUntilReady(loaded, session: session) }
    }

    /// Observe, plan and apply under the project lock: what `up -d` does, and what
    /// `berth supervise` does first when it runs as a systemd unit's main process.
    func apply(_ loaded: Project, session: EngineSession) async throws {
        warnAboutSettingsWithoutEffect(loaded)
        let lock = try session.lock(project: loaded.name)
        defer { lock.release() }

        var desired = try EngineSession.desired(loaded)
        let executor = session.executor(parallelism: parallel)
        if !dryRun {
            // Images first, so the plan sees a changed image id and a failed pull touches nothing.
            // A dry run does not fetch: it plans from the images already recorded.
            do { desired = try await executor.ensureImages(desired) } catch {
                throw CommandFailure(message: error.description)
            }
        }
        let observed = try await session.observe(project: loaded.name)
        let plan: Plan
        do { plan = try Planner.plan(desired: desired, observed: observed, options: options) } catch {
            throw CommandFailure(message: error.description)
        }
        if dryRun || plan.isEmpty {
            Console.out(plan.rendered())
            return
        }
        for warning in plan.warnings { Console.warn("\(warning.object): \(warning.message)") }
        try await session.apply(plan, desired: desired, observed: observed, parallelism: parallel)
    }

    /// `--wait`: every container of the selected services running (healthy when it has a check),
    /// one-shots exited 0. The first that cannot get there fails the command with its service,
    /// what happened and its last log lines.
    func waitUntilReady(_ loaded: Project, session: EngineSession) async throws {
        let observed = try await session.observe(project: loaded.name)
        let selected = Set(services.isEmpty ? loaded.serviceNames : services)
        let containers = observed.containers.filter { !$0.isOneoff && selected.contains($0.service ?? "") }
        let engine = session.engine
        let timeout = waitTimeout.map(Double.init)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for container in containers {
                group.addTask {
                    do { try await engine.waitFor(.ready, container: container.id, timeout: timeout) } catch {
                        var message = "service \(container.service ?? container.name): \(error)"
                        let lines = ContainerLogTail.lines(of: container.id, locations: engine.locations, count: 5)
                        if !lines.isEmpty { message += "\nlast log lines of \(container.name):\n" + lines.map { "  " + $0 }.joined(separator: "\n") }
                        throw CommandFailure(message: message)
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// Valid settings the engine accepts but cannot act on yet: said, never silently dropped.
    private func warnAboutSettingsWithoutEffect(_ project: Project) {
        for name in project.serviceNames {
            guard let service = project.services[name] else { continue }
            if let ports = service.ports, !ports.isEmpty {
                Console.warn("services.\(name).ports: not published yet: Berth has no container networking yet, so the service is reachable only from inside its container")
            }
            if service.tty == true || service.stdinOpen == true {
                Console.warn("services.\(name): tty and stdin_open have no effect yet: detached containers write to console.log in Berth's data directory")
            }
        }
    }
}
