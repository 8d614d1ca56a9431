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
    static let configuration = CommandConfiguration(commandName: "up", abstract: "Create and start containers.")

    @OptionGroup var project: ProjectOptions

    @Flag(name: .shortAndLong, help: "Detached mode: run containers in the background.")
    var detach = false

    @Flag(name: .long, help: "Stops all containers if any container was stopped. Incompatible with -d.")
    var abortOnContainerExit = false

    @Option(name: .long, help: ArgumentHelp("Return the exit code of the selected service container. Implies --abort-on-container-exit.", valueName: "SERVICE"))
    var exitCodeFrom: String?

    @Option(name: .long, help: ArgumentHelp("Restrict attaching to the specified services (repeatable).", valueName: "SERVICE"))
    var attach: [String] = []

    @Option(name: .long, help: ArgumentHelp("Do not attach (stream logs) to the specified services (repeatable).", valueName: "SERVICE"))
    var noAttach: [String] = []

    @Flag(name: .long, help: "Automatically attach to log output of dependent services.")
    var attachDependencies = false

    @Flag(name: .long, help: "Don't print a prefix in the logs.")
    var noLogPrefix = false

    @Flag(name: .long, help: "Produce monochrome output.")
    var noColor = false

    @Flag(name: .long, help: "Show timestamps.")
    var timestamps = false

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
        if detach {
            for (flag, set) in [("--abort-on-container-exit", abortOnContainerExit), ("--exit-code-from", exitCodeFrom != nil),
                                ("--attach", !attach.isEmpty), ("--attach-dependencies", attachDependencies)] where set {
                throw ValidationError("-d and \(flag) are incompatible: \(flag) acts on the attached containers")
            }
        }
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
        let loaded = try project.load(services: services)
        let session = try EngineSession()
        // Lines written before this `up` belong to earlier runs: attached mode shows what follows.
        let started = LogTime(Date())
        // `--wait` implies detached mode, as in docker compose.
        guard !detach && !dryRun && !wait && !noStart else {
            let changed = try await apply(loaded, session: session)
            guard !dryRun && !noStart else { return }
            // The supervisor applies restart policies, health checks, DNS and published ports from
            // here on; after an `up` that changed nothing, a running one has nothing to read again.
            if changed || !session.isSupervised(project: loaded.name),
               let problem = session.reloadSupervisor(project: loaded.name, waitForNew: Self.publishesPorts(loaded)) {
                throw CommandFailure(message: problem)
            }
            if wait { try await waitUntilReady(loaded, session: session) }
            return
        }
        let attachTo = try attachedServices(loaded)
        // Counted from before the first change: Ctrl-C during apply still stops the stack after it.
        let interrupts = Interrupts()
        try await apply(loaded, session: session)
        if let problem = session.reloadSupervisor(project: loaded.name, waitForNew: Self.publishesPorts(loaded)) { Console.error(problem) }
        try await attachAndWait(loaded, session: session, services: attachTo, since: started, interrupts: interrupts)
    }

    /// Whether a service publishes ports: then a supervisor `up` starts is waited for, so a port
    /// someone else holds fails `up`.
    static func publishesPorts(_ project: Project) -> Bool {
        project.services.values.contains { !($0.ports ?? []).isEmpty }
    }

    /// Observe, plan and apply under the project lock: what `up -d` does, and what
    /// `berth supervise` does first when it runs as a systemd unit's main process.
    /// Returns whether it changed anything.
    @discardableResult
    func apply(_ loaded: Project, session: EngineSession) async throws -> Bool {
        warnAboutSettingsWithoutEffect(loaded)
        return try await Self.converge(loaded, session: session, options: options, parallel: parallel, dryRun: dryRun)
    }

    /// Plans and applies `options` on `project` under its lock: what `up` and `create` share.
    /// Returns whether a plan was applied (false for a dry run or nothing to do).
    @discardableResult
    static func converge(_ project: Project, session: EngineSession, options: UpOptions, parallel: Int,
                         pull: ImagePullPolicy? = nil, dryRun: Bool = false) async throws -> Bool {
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
            return false
        }
        for warning in plan.warnings { Console.warn("\(warning.object): \(warning.message)") }
        try checkHostPorts(plan, desired: desired, session: session)
        try await session.apply(plan, desired: desired, observed: observed, parallelism: parallel)
        return true
    }

    /// Fails before the plan touches anything when a fixed host port a container it starts would
    /// publish is held by another process: otherwise the containers would start and only the
    /// supervisor's reload would find the port taken, leaving them running without it.
    static func checkHostPorts(_ plan: Plan, desired: DesiredState, session: EngineSession) throws {
        var started: Set<String> = []
        for step in plan.steps {
            switch step.action {
            case .createContainer(let ref, true), .recreateContainer(let ref, _, true, _), .startContainer(let ref): started.insert(ref.service)
            default: continue
            }
        }
        try checkHostPorts(of: started, in: desired.project, session: session)
    }

    /// Fails when a fixed host port one of `services` publishes is held by another process.
    static func checkHostPorts(of services: Set<String>, in project: Project, session: EngineSession) throws {
        var bindings: [String: [ContainerSpec.PortBinding]] = [:]
        for name in services {
            guard let service = project.services[name], service.networkMode != "host", service.networkMode != "none" else { continue }
            bindings[name] = (service.ports ?? []).map {
                ContainerSpec.PortBinding(hostIP: $0.hostIP, hostPort: $0.published, containerPort: $0.target, proto: $0.protocol ?? "tcp")
            }
        }
        guard !bindings.isEmpty else { return }
        do { try session.engine.checkHostPortsAvailable(bindings, project: project.name) } catch {
            throw CommandFailure(message: error.description)
        }
    }

    /// Services whose logs attached `up` streams: the named ones (all by default), their
    /// dependencies with `--attach-dependencies`, or `--attach`'s, minus `--no-attach`'s.
    private func attachedServices(_ project: Project) throws -> [String] {
        for name in attach + noAttach + [exitCodeFrom].compactMap({ $0 }) where project.services[name] == nil {
            throw CommandFailure("no such service: \(name)")
        }
        var chosen = services.isEmpty ? project.serviceNames : services
        if attachDependencies && !services.isEmpty {
            var pending = chosen
            while let name = pending.popLast() {
                for dependency in (project.services[name]?.dependsOn ?? [:]).keys.sorted() where !chosen.contains(dependency) {
                    chosen.append(dependency)
                    pending.append(dependency)
                }
            }
        }
        if !attach.isEmpty { chosen = attach }
        return chosen.filter { !noAttach.contains($0) }
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
        if geteuid() != 0 {
            let installed = { (paths: [String]) in paths.contains { FileManager.default.isExecutableFile(atPath: $0) } }
            if !installed(["/usr/bin/slirp4netns", "/bin/slirp4netns"]) || !installed(["/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft"]) {
                Console.warn("networks: rootless containers reach their networks only, nothing outside: install slirp4netns and nftables for outbound traffic")
            }
        }
        for name in project.serviceNames {
            guard let service = project.services[name] else { continue }
            if let ports = service.ports, !ports.isEmpty, let mode = service.networkMode, mode == "host" || mode == "none" {
                Console.warn("services.\(name).ports: not published with network_mode: \(mode) (as docker)")
            }
            if service.stdinOpen == true {
                Console.warn("services.\(name).stdin_open has no effect yet: nothing attaches to a service's stdin")
            }
            if let logging = service.logging {
                if logging.driver == "local" {
                    Console.warn("services.\(name).logging.driver: local is written as json-file, with local's default rotation (max-size 20m, max-file 5)")
                }
                for option in (logging.options ?? [:]).keys.sorted() where ["compress", "labels", "labels-regex", "env", "env-regex", "tag"].contains(option) {
                    Console.warn("services.\(name).logging.options.\(option) has no effect: Berth's json-file logs carry the line, its stream and its time")
                }
            }
        }
    }
}
