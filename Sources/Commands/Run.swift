import ArgumentParser
import ComposeSpec
import Engine
import EngineAPI
import Foundation
import Reconciler

/// `berth run SERVICE [COMMAND…]`, as `docker compose run`: a one-off container of a service
/// (`<project>-<service>-run-<12 hex>`, labelled `com.docker.compose.oneoff=True`, which `up` and
/// `down` leave alone), its dependencies started first. Attached, it reads berth's stdin, writes
/// to its stdout and stderr, and berth exits with the container's exit code.
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run a one-off command on a service.")

    @OptionGroup var project: ProjectOptions

    @Flag(name: .shortAndLong, help: "Run container in background and print its name.")
    var detach = false

    @Flag(name: .long, help: "Automatically remove the container when it exits.")
    var rm = false

    @Option(name: .shortAndLong, help: ArgumentHelp("Set an environment variable (repeatable; KEY alone takes it from berth's environment).", valueName: "KEY=VALUE"))
    var env: [String] = []

    @Option(name: .shortAndLong, help: ArgumentHelp("Bind mount a volume (repeatable).", valueName: "SOURCE:TARGET[:MODE]"))
    var volume: [String] = []

    // Long form only: `-p` is the project name of every project command here (ProjectOptions).
    @Option(name: .long, help: ArgumentHelp("Publish a container's port to the host (repeatable).", valueName: "[IP:]HOST:CONTAINER"))
    var publish: [String] = []

    @Option(name: .long, help: "Override the entrypoint of the image (split as a shell would).")
    var entrypoint: String?

    @Flag(name: .long, help: "Don't start linked services.")
    var noDeps = false

    @Flag(name: .long, help: "Run command with the service's ports enabled and mapped to the host.")
    var servicePorts = false

    @Option(name: .long, help: "Assign a name to the container.")
    var name: String?

    @Option(name: .shortAndLong, help: "Run as specified username or uid.")
    var user: String?

    @Option(name: .shortAndLong, help: "Working directory inside the container.")
    var workdir: String?

    @Flag(name: [.customShort("T"), .customLong("no-TTY")], help: "Disable pseudo-TTY allocation (a pty is the default when stdin is a terminal).")
    var noTTY = false

    @Flag(name: .shortAndLong, inversion: .prefixedNo, help: "Keep STDIN open even if not attached.")
    var interactive = true

    @Argument(help: "The service to run.")
    var service: String

    @Argument(parsing: .captureForPassthrough, help: "The command and its arguments (default: the service's command).")
    var command: [String] = []

    func validate() throws {
        if detach && rm { throw ValidationError("-d and --rm are incompatible: a detached one-off is removed with `berth rm` or `berth down`") }
        for entry in env where entry.hasPrefix("=") || entry.isEmpty {
            throw ValidationError("-e \(entry): expected KEY=VALUE or KEY")
        }
    }

    func run() async throws {
        var loaded = try project.load()
        guard var compose = loaded.services[service] else {
            let known = loaded.serviceNames.joined(separator: ", ")
            throw CommandFailure("no such service: \(service) (the project has \(known.isEmpty ? "none" : known))")
        }
        try override(&compose, projectDirectory: loaded.workingDirectory)
        loaded.services[service] = compose

        let session = try EngineSession()
        let publishes = !(compose.ports ?? []).isEmpty && compose.networkMode != "host" && compose.networkMode != "none"
        if publishes {
            // Before anything starts, as `up` checks: a port held by another process, or by
            // this project's own service (`--service-ports` next to a running `up`), fails here
            // and leaves nothing behind.
            let bindings = (compose.ports ?? []).map {
                ContainerSpec.PortBinding(hostIP: $0.hostIP, hostPort: $0.published, containerPort: $0.target, proto: $0.protocol ?? "tcp")
            }
            do { try session.engine.checkHostPortsAvailable([service: bindings], project: loaded.name, skippingPortsItPublishes: false) } catch {
                throw CommandFailure(message: error.description)
            }
        }
        var desired = try EngineSession.desired(loaded)
        let executor = session.executor(parallelism: 4)
        do { desired = try await executor.ensureImages(desired, services: [service]) } catch {
            throw CommandFailure(message: error.description)
        }
        if !noDeps, let dependencies = compose.dependsOn, !dependencies.isEmpty {
            try await startDependencies(dependencies.keys.filter { loaded.services[$0] != nil }.sorted(),
                                        of: loaded, desired: desired, session: session)
        }

        let observed = try await session.observe(project: loaded.name)
        if !noDeps {
            // As `up` before it starts a service: its dependencies healthy, or done, first.
            try await DependencyConditions(project: loaded, engine: session.engine)
                .wait(for: service, containers: observed.containers)
        }
        // As compose: the service's networks exist before its one-off joins them (with
        // --no-deps too); external ones are the other project's to make.
        let existingNetworks = Set(observed.networks.map(\.name))
        for key in desired.networkKeys(of: compose) where loaded.networks[key]?.external != true {
            let network = desired.networkSpec(key)
            if existingNetworks.contains(network.name) { continue }
            do { try await session.engine.createNetwork(network) } catch {
                throw CommandFailure(message: error.description)
            }
        }
        var firstIDs: [String: String] = [:]
        for container in observed.containers.filter({ !$0.isOneoff }).sorted(by: { ($0.number ?? 0) < ($1.number ?? 0) }) {
            if let owner = container.service, firstIDs[owner] == nil { firstIDs[owner] = container.id }
        }
        guard let desiredService = desired.services[service], let imageID = desiredService.imageID else {
            throw CommandFailure("service \(service): its image was not resolved")
        }
        var spec: ContainerSpec
        do {
            spec = try ContainerSpecBuilder.spec(for: desiredService, number: 1, desired: desired, imageID: imageID, containerIDs: firstIDs)
        } catch {
            throw CommandFailure(message: error.description)
        }
        spec.name = name ?? "\(loaded.name)-\(service)-run-\(Self.randomHex(12))"
        spec.labels[ResourceLabels.oneoff] = ResourceLabels.boolean(true)
        spec.labels[ResourceLabels.containerNumber] = nil
        // A one-off runs once: compose applies no restart policy to it.
        spec.restartPolicy = "no"
        if !detach {
            // As docker compose: a pty when berth's stdin is a terminal, unless -T. The monitor
            // relays the terminal (raw mode, window size) to it and tees its output back.
            spec.tty = !noTTY && isatty(STDIN_FILENO) == 1
            spec.stdinOpen = interactive
        }

        let engine = session.engine
        if detach {
            do {
                let id = try await engine.createContainer(spec)
                try await engine.startContainer(id: id)
            } catch {
                throw CommandFailure(message: error.description)
            }
            // The project's supervisor publishes a running one-off's ports.
            if publishes, let problem = Self.publish(spec.name, project: loaded.name, session: session) {
                throw CommandFailure(message: problem)
            }
            Console.out(spec.name)
            return
        }
        let publishing = publishes ? Task { [name = spec.name, project = loaded.name, engine = session.engine] in
            await Self.publishOnceRunning(name, project: project, session: EngineSession(engine: engine))
        } : nil
        // The terminal's ^C and ^\ reach the whole foreground group, the container's monitor
        // included, which forwards them to the container: berth stays to report its exit code.
        signal(SIGINT, SIG_IGN)
        signal(SIGQUIT, SIG_IGN)
        let result: (id: String, exitCode: Int32)
        do { result = try await engine.runAttached(spec) } catch {
            throw CommandFailure(message: error.description)
        }
        if rm {
            do { try await engine.removeContainer(id: result.id, force: true, removeAnonymousVolumes: true) } catch {
                Console.warn("\(spec.name): could not remove it: \(error.description)")
            }
        }
        if let publishing {
            publishing.cancel()
            await publishing.value
            // Its ports are released with it.
            session.reloadSupervisor(project: loaded.name)
        }
        if result.exitCode != 0 {
            throw CommandFailure(message: "\(spec.name) exited with code \(result.exitCode)", exitCode: result.exitCode, quiet: true)
        }
    }

    /// The service as this run changes it: command, entrypoint, environment, user, working
    /// directory, extra volumes; the service's ports only with `--service-ports`, plus `-p`.
    func override(_ compose: inout Service, projectDirectory: String) throws {
        if !command.isEmpty { compose.command = command }
        if let entrypoint {
            do { compose.entrypoint = try ShellWords.split(entrypoint) } catch {
                throw CommandFailure("--entrypoint \(entrypoint): \(error.message)")
            }
        }
        var environment = compose.environment ?? [:]
        for entry in env {
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            environment[parts[0]] = parts.count == 2 ? parts[1] : ProcessInfo.processInfo.environment[parts[0]]
        }
        compose.environment = environment
        if let user { compose.user = user }
        if let workdir { compose.workingDir = workdir }
        var volumes = compose.volumes ?? []
        for text in volume {
            do {
                var parsed = try ServiceVolume.parseShort(text)
                if parsed.type == .bind, let source = parsed.source, !source.hasPrefix("/") {
                    parsed.source = URL(fileURLWithPath: source, relativeTo: URL(fileURLWithPath: projectDirectory, isDirectory: true)).standardized.path
                }
                volumes.append(parsed)
            } catch {
                throw CommandFailure("-v \(text): \(error.message)")
            }
        }
        compose.volumes = volumes
        var ports = servicePorts ? compose.ports ?? [] : []
        for text in publish {
            do { ports += try ServicePort.parseShort(text) } catch {
                throw CommandFailure("-p \(text): \(error.message)")
            }
        }
        compose.ports = ports
        compose.restart = nil
    }

    /// `up -d` of the service's dependencies (and theirs), under the project lock.
    private func startDependencies(_ dependencies: [String], of loaded: Project, desired: DesiredState, session: EngineSession) async throws {
        let lock = try session.lock(project: loaded.name)
        defer { lock.release() }
        let observed = try await session.observe(project: loaded.name)
        var options = UpOptions()
        options.services = dependencies
        let plan: Plan
        do { plan = try Planner.plan(desired: desired, observed: observed, options: options) } catch {
            throw CommandFailure(message: error.description)
        }
        guard !plan.isEmpty else { return }
        try await session.apply(plan, desired: desired, observed: observed, parallelism: 4)
        // The dependencies get their restart policies, health checks, DNS and ports, as after `up`.
        lock.release()
        if let problem = session.reloadSupervisor(project: loaded.name, waitForNew: Up.publishesPorts(loaded)) {
            throw CommandFailure(message: problem)
        }
    }

    /// Asks the project's supervisor to publish the one-off's ports; returns what went wrong.
    /// The supervisor runs while a service of the project runs (one-offs have no restart policy
    /// to apply, and a supervisor with nothing else to do ends itself), so without one the ports
    /// stay unpublished and the user is told how to get them.
    private static func publish(_ name: String, project: String, session: EngineSession) -> String? {
        guard session.engine.needsSupervisor(project: project) else {
            Console.warn("\(name): its ports are published by the project's supervisor, which runs while a service of the project does: start one with `berth up -d`")
            return nil
        }
        return session.reloadSupervisor(project: project, waitForNew: true)
    }

    /// Attached, the one-off runs until it exits: once it runs, the project's supervisor is
    /// told to publish its ports (a port taken meanwhile is reported, the run goes on).
    private static func publishOnceRunning(_ name: String, project: String, session: EngineSession) async {
        while !Task.isCancelled {
            let observed = try? await session.observe(project: project)
            if let container = observed?.containers.first(where: { $0.name == name }), container.state != .created {
                guard container.state == .running else { return }
                if let problem = publish(name, project: project, session: session) { Console.warn("\(name): \(problem)") }
                return
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    static func randomHex(_ count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in "0123456789abcdef".randomElement(using: &generator) ?? "0" })
    }
}
