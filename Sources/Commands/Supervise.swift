import ArgumentParser
import ComposeSpec
import Engine
import Foundation
import Logging
import Supervisor
import SystemdUnits
import Synchronization

/// `berth supervise` (hidden): the project supervisor. `up` starts it detached, one per project;
/// as a systemd unit's main process (`NOTIFY_SOCKET` set, `Type=notify`) it first brings the
/// stack up as `up -d` does and reports readiness. It applies restart policies and runs health
/// checks until `stop-supervising` (sent by `down` when nothing is left), SIGTERM or SIGINT;
/// the containers keep running when it exits.
///
/// With `--service NAME` it is instead the main process of a per-service unit: it brings up that
/// one service and lives as long as its containers do (`Supervise+Service.swift`); with
/// `--network-services`, the main process of the per-service layout's network-services unit,
/// which hosts the DNS servers and published ports and nothing else
/// (`Supervise+NetworkServices.swift`).
struct Supervise: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "supervise", 
        abstract: "Supervise a project's containers: restart policies, health checks (started by up).",
        shouldDisplay: false)

    @OptionGroup var project: ProjectOptions

    @Option(name: .long, help: ArgumentHelp("Supervise only this service, as a per-service systemd unit's main process.", valueName: "SERVICE"))
    var service: String?

    @Option(name: .long, help: ArgumentHelp("With --service: when the unit is ready (started, healthy, completed).", valueName: "condition"))
    var ready: UnitReadiness?

    @Flag(name: .long, help: "Host only the project's DNS servers and published ports, as a per-service layout's network-services unit.")
    var networkServices = false

    func validate() throws {
        if ready != nil && service == nil { throw ValidationError("--ready needs --service: the project supervisor is ready when every service is") }
        if networkServices && service != nil {
            throw ValidationError("--network-services and --service are different units' main processes: give one of them")
        }
    }

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = ProcessInfo.processInfo.environment["BERTH_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
            return handler
        }
        if let service {
            try await superviseService(service, readiness: ready ?? .started)
            return
        }
        if networkServices {
            try await superviseNetworkServices()
            return
        }
        let logger = Logger(label: "berth.supervisor")
        let notifier = SystemdNotifier()
        let session = try EngineSession()
        // Detached, only the name is needed (the store has the rest), so a supervisor restarted
        // after the files moved still works; under systemd the files are read and applied.
        let loaded: Project?
        if notifier.isActive || project.projectName == nil { loaded = try project.load() } else { loaded = nil }
        let name = loaded?.name ?? project.projectName ?? ""
        let control = SupervisorControl(locations: session.engine.locations, project: name)
        let claim: SupervisorControl.Claim
        do {
            guard let claimed = try control.claim() else {
                logger.info("project \(name) already has a supervisor; this one exits")
                return
            }
            claim = claimed
        } catch {
            throw CommandFailure(message: error.description)
        }
        if notifier.isActive, let loaded {
            notifier.status("bringing \(name) up")
            var up = try Up.parse(["--detach"])
            up.project = project
            // At boot, as docker's daemon: an unless-stopped service the user stopped stays stopped.
            var options = up.options
            options.keepUserStops = true
            try await Up.converge(loaded, session: session, options: options, parallel: up.parallel)
        }

        // Start-up and a reload run code the idle supervisor never runs again (parsing, the store,
        // the command tree): its pages are unmapped once the work is done (ResidentMemory).
        let settled: @Sendable () -> Void = {
            let trim = ResidentMemory.trimFileMappings()
            if logger.logLevel <= .debug, let now = ResidentMemory.current() {
                logger.debug("unmapped \(trim.unmappedKiB) KiB of start-up code; VmRSS \(now.rss) KiB (anonymous \(now.anonymous), file \(now.file))")
            }
        }
        let readySent = ReadyFlag()
        let supervisor: ServiceSupervisor
        do {
            supervisor = try ServiceSupervisor(
                actions: LocalSupervisorActions(engine: session.engine, project: name),
                components: [NetworkServicesComponent(engine: session.engine, project: name)], logger: logger
            ) { containers in
                guard notifier.isActive else { return }
                let summary = SystemdNotifier.summary(containers)
                let sendReady = readySent.sent.withLock { sent in
                    defer { if Readiness.of(containers) == .ready { sent = true } }
                    return !sent && Readiness.of(containers) == .ready
                }
                if sendReady { notifier.ready(status: summary) } else { notifier.status(summary) }
            }
        } catch {
            throw CommandFailure(message: error.description)
        }
        let (stops, stop) = AsyncStream.makeStream(of: String.self)
        let socket: ControlSocket
        do {
            socket = try ControlSocket(path: control.socketPath) { line in
                switch line.trimmingCharacters(in: .whitespaces) {
                case "reload":
                    do {
                        try await supervisor.reload()
                        if await supervisor.containers.isEmpty { stop.yield("no containers left") }
                        settled()
                        return "ok"
                    } catch {
                        return "error \(error)"
                    }
                case "status":
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.sortedKeys]
                    encoder.dateEncodingStrategy = .iso8601
                    let containers = await supervisor.containers
                    let data = (try? encoder.encode(containers)) ?? Data("[]".utf8)
                    return String(decoding: data, as: UTF8.self)
                case "stop-supervising":
                    stop.yield("asked to stop")
                    return "ok"
                default:
                    return "error unknown command \"\(line)\" (expected reload, status or stop-supervising)"
                }
            }
        } catch {
            throw CommandFailure(message: error.description)
        }
        let sources = stopSignalSources { stop.yield($0) }
        try await supervisor.start()
        settled()
        logger.info("supervising project \(name) (pid \(getpid()))")
        // `down` says when nothing is left; if it could not (it failed half-way, or was killed),
        // a look at the store once a minute ends a supervisor with nothing to supervise. One
        // wake-up a minute, not a poll: the idle supervisor stays at 0% CPU. The same wake-up
        // unmaps code pages the last minute's restarts and probes mapped (ResidentMemory).
        let engine = session.engine
        let housekeeping = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(60))
                if ((try? engine.supervisedContainers(project: name)) ?? []).isEmpty { stop.yield("no containers left") }
                // What restarts and probes mapped in the last minute goes again with the rest.
                settled()
            }
        }
        defer { housekeeping.cancel() }
        var reasons = stops.makeAsyncIterator()
        let reason = await reasons.next() ?? "the stop stream ended"
        logger.info("stopping: \(reason)")
        notifier.stopping()
        socket.close()
        await supervisor.shutdown()
        sources.forEach { $0.cancel() }
        withExtendedLifetime(claim) {}
    }
}

/// Whether `READY=1` went out: systemd takes it once; later changes are `STATUS=` lines.
private final class ReadyFlag: Sendable {
    let sent = Mutex(false)
}

extension UnitReadiness: ExpressibleByArgument {}

/// SIGTERM and SIGINT delivered to `handler` by name (from a dispatch source) instead of ending
/// the process, so every supervisor mode stops in order: STOPPING=1, its components, its socket.
/// Keep the sources for as long as the handler should run; cancel them when done.
func stopSignalSources(_ handler: @escaping @Sendable (String) -> Void) -> [any DispatchSourceSignal] {
    [SIGTERM, SIGINT].map { number in
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number)
        source.setEventHandler { handler(number == SIGTERM ? "SIGTERM" : "SIGINT") }
        source.resume()
        return source
    }
}
