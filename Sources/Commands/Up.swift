import ArgumentParser
import ComposeSpec
import Foundation
import EngineAPI
import Reconciler

/// `berth up -d [SERVICE…]`, as `docker compose up -d`: observe the project, plan the difference
/// with the desired state, apply it. The plan is computed and applied under the project lock so
/// two commands on one project never interleave.
struct Up: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create and start containers.")

    @OptionGroup var project: ProjectOptions

    @Flag(name: .shortAndLong, help: "Detached mode: run containers in the background (required until attached mode exists, except with --no-start).")
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

    @Argument(help: "Services to start (default: all).")
    var services: [String] = []

    func validate() throws {
        _ = try Self.scales(scale)
        if forceRecreate && noRecreate { throw ValidationError("--force-recreate and --no-recreate are incompatible") }
        if parallel < 1 { throw ValidationError("--parallel must be at least 1") }
        if let timeout, timeout < 0 { throw ValidationError("--timeout must not be negative") }
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
        guard detach || dryRun || noStart else {
            throw CommandFailure("attached mode comes with the supervisor; run `berth up -d` for now")
        }
        let loaded = try project.load(services: services)
        warnAboutSettingsWithoutEffect(loaded)
        try await Self.converge(loaded, options: options, parallel: parallel, dryRun: dryRun)
    }

    /// Plans and applies `options` on `project` under its lock: what `up` and `create` share.
    static func converge(_ project: Project, options: UpOptions, parallel: Int, pull: ImagePullPolicy? = nil,
                         dryRun: Bool = false) async throws {
        let session = try EngineSession()
        let lock = try session.lock(project: project.name)
        defer { lock.release() }

        var desired = try EngineSession.desired(project)
        var executor = session.executor(parallelism: parallel)
        executor.pullPolicy = pull
        if !dryRun {
            // Images first, so the plan sees a changed image id and a failed pull touches nothing.
            // A dry run does not fetch: it plans from the images already recorded.
            do { desired = try await executor.ensureImages(desired) } catch {
                throw CommandFailure(message: error.description)
            }
        }
        let observed = try await session.observe(project: project.name)
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

    /// Valid settings the engine accepts but cannot act on yet: said, never silently dropped.
    private func warnAboutSettingsWithoutEffect(_ project: Project) {
        for name in project.serviceNames {
            guard let service = project.services[name] else { continue }
            if let ports = service.ports, !ports.isEmpty {
                Console.warn("services.\(name).ports: not published yet: Berth has no container networking yet, so the service is reachable only from inside its container")
            }
            if let check = service.healthcheck, check.disable != true, check.test != ["NONE"] {
                Console.warn("services.\(name).healthcheck: health checks do not run yet (they come with the project supervisor)")
            }
            if let restart = service.restart, restart != "no" {
                Console.warn("services.\(name).restart: \(restart) is not applied yet: a container that stops stays stopped until the next up")
            }
            for (dependency, condition) in (service.dependsOn ?? [:]).sorted(by: { $0.key < $1.key })
            where condition.condition != .serviceStarted {
                Console.warn("services.\(name).depends_on.\(dependency): \(condition.condition.rawValue) is waited on as service_started until health checks run")
            }
            if service.tty == true || service.stdinOpen == true {
                Console.warn("services.\(name): tty and stdin_open have no effect yet: detached containers write to console.log in Berth's data directory")
            }
        }
    }
}
