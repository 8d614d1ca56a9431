import ArgumentParser
import ComposeSpec
import Engine
import Foundation
import Logging
import Networking
import Supervisor

/// `berth supervise --network-services`: the main process of the per-service layout's
/// `berth-<project>-network-services.service`. In the project layout the project supervisor
/// hosts the project's DNS servers and port forwarders; per-service units have no such process,
/// so this one hosts them, and only them.
///
/// It holds the project supervisor's lock and answers on its control socket, so every command
/// that asks "the project supervisor" to reload (`up`, `start`, and each service unit's main
/// process as its containers come and go) reaches it, and no detached project supervisor can
/// start beside it and bind the same ports. It supervises no container: restarts are the service
/// units' `Restart=`, which a second restarter would race.
extension Supervise {
    func superviseNetworkServices() async throws {
        let logger = Logger(label: "berth.supervisor")
        let notifier = SystemdNotifier()
        let loaded = try project.load()
        let session = try EngineSession()
        let control = SupervisorControl(locations: session.engine.locations, project: loaded.name)
        let claim = try Self.takeOver(control, logger: logger)
        let host = NetworkServicesHost(engine: session.engine, project: loaded.name)

        let (stops, stop) = AsyncStream.makeStream(of: String.self)
        let socket: ControlSocket
        do {
            socket = try ControlSocket(path: control.socketPath) { line in
                switch line.trimmingCharacters(in: .whitespaces) {
                case "reload":
                    let problem = await host.reload()
                    notifier.status(problem ?? "serving \(loaded.name)")
                    return problem.map { "error \($0)" } ?? "ok"
                case "status":
                    // The project supervisor's answer lists what it supervises: nothing here.
                    return "[]"
                case "stop-supervising":
                    // `down` by hand: what it removed is no longer served, but this process lives
                    // as long as its unit, which systemd stops.
                    _ = await host.reload()
                    return "ok"
                default:
                    return "error unknown command \"\(line)\" (expected reload, status or stop-supervising)"
                }
            }
        } catch {
            throw CommandFailure(message: error.description)
        }
        let sources = stopSignalSources { stop.yield($0) }
        defer { sources.forEach { $0.cancel() } }

        // At boot nothing runs yet and the first reload serves nothing; a port another process
        // holds is logged and tried again on the next reload, which the service that publishes it
        // asks for (and reports). Ready either way: the service units wait on this one.
        let problem = await host.reload()
        if let problem { logger.error("\(problem)") }
        notifier.ready(status: problem ?? "serving \(loaded.name)")
        logger.info("serving the network services of \(loaded.name) (pid \(getpid()))")

        var reasons = stops.makeAsyncIterator()
        let reason = await reasons.next() ?? "the stop stream ended"
        logger.info("stopping: \(reason)")
        notifier.stopping()
        socket.close()
        await host.shutdown()
        withExtendedLifetime(claim) {}
    }

    /// Claims the project supervisor's lock. A detached project supervisor that a command
    /// started (`ps` starts one for running containers) is asked to stop first: it would
    /// otherwise serve the same ports, and restart the service units' containers by policy.
    static func takeOver(_ control: SupervisorControl, logger: Logger) throws -> SupervisorControl.Claim {
        let deadline = Date().addingTimeInterval(15)
        var asked = false
        while true {
            do {
                if let claim = try control.claim() { return claim }
            } catch {
                throw CommandFailure(message: error.description)
            }
            let pid = control.runningPID()
            if !asked {
                logger.info("project \(control.project) has a supervisor (pid \(pid.map(String.init) ?? "unknown")); asking it to stop")
                _ = control.send("stop-supervising", timeout: 5)
                asked = true
            }
            guard Date() < deadline else {
                throw CommandFailure("project \(control.project) has a supervisor\(pid.map { " (pid \($0))" } ?? "") that did not stop within 15 s; "
                                     + "stop it (`kill` that pid), then start this unit again")
            }
            usleep(50_000)
        }
    }
}

/// The DNS servers and forwarders of one project, brought to what the state store says on each
/// reload. An actor, so two service units asking at once apply in turn: a reload computed from an
/// older read must not undo a newer one.
actor NetworkServicesHost {
    let engine: LocalEngine
    let project: String
    private let services: NetworkServices

    init(engine: LocalEngine, project: String) {
        self.engine = engine
        self.project = project
        services = NetworkServices(configuration: engine.networkServicesConfiguration())
    }

    /// Applies the project's desired network services; what failed, or nil.
    func reload() -> String? {
        do {
            // Refreshed against the runtime first: after a power cut the records still say
            // `running` for containers that are gone, whose networks have no bridge any more.
            _ = try engine.supervisedContainers(project: project)
            let desired = try engine.networkServicesDesired(project: project)
            let published: [NetworkServices.Published]
            do { published = try services.apply(desired) } catch {
                return "network services of \(project): \(error)"
            }
            try engine.recordPublishedPorts(project: project, published)
            return nil
        } catch {
            return "network services of \(project): \(error)"
        }
    }

    func shutdown() { services.shutdown() }
}
