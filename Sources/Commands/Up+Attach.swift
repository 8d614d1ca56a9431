import ComposeSpec
import Engine
import EngineAPI
import Foundation

/// Attached `up`: after applying, stream the attached services' logs until their containers
/// have exited; Ctrl-C stops the stack (a second one kills it), as docker compose does.
extension Up {
    func attachAndWait(_ loaded: Project, session: EngineSession, services attached: [String], since: LogTime,
                       interrupts: Interrupts) async throws {
        let printer = LogPrinter(prefix: !noLogPrefix, colors: LogPrinter.wantsColors(noColor: noColor), timestamps: timestamps)
        var filter = ProjectLogs.Filter()
        filter.since = since
        let logs = ProjectLogs(session: session, project: loaded.name, filter: filter, printer: printer) { container in
            !container.isOneoff && attached.contains(container.service ?? "")
        }
        let initial = try await logs.containers()
        Console.out("Attaching to " + initial.map(\.name).joined(separator: ", "))
        logs.printExisting(initial)

        let abort = abortOnContainerExit || exitCodeFrom != nil
        var reported: Set<String> = []
        var firstExit: (service: String, code: Int32)?
        var exitCodes: [String: Int32] = [:]
        var stopping: Task<Void, Never>?
        var killing = false
        var interrupted = false
        while true {
            if interrupts.received > 0 && stopping == nil {
                interrupted = true
                Console.out("Gracefully stopping... (press Ctrl+C again to force)")
                stopping = stopTask(loaded, session: session, signalOverride: nil)
            }
            if interrupts.received > 1 && !killing {
                killing = true
                stopping = stopTask(loaded, session: session, signalOverride: "SIGKILL")
            }
            let current = try await logs.containers()
            logs.poll(current: current)
            for container in current where !container.isActive && container.state != .created && !reported.contains(container.id) {
                reported.insert(container.id)
                logs.finish(container)
                let code = container.exitCode ?? 0
                Console.out(printer.exited(container, code: code))
                if firstExit == nil { firstExit = (container.service ?? "", code) }
                if let service = container.service, exitCodes[service] == nil { exitCodes[service] = code }
            }
            if abort, firstExit != nil, stopping == nil {
                Console.out("Aborting on container exit...")
                stopping = stopTask(loaded, session: session, signalOverride: nil)
            }
            if let task = stopping, current.allSatisfy({ !$0.isActive }) {
                await task.value
                break
            }
            if stopping == nil, !current.isEmpty, current.allSatisfy({ !$0.isActive && $0.state != .created }) { break }
            if current.isEmpty && stopping == nil { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        if let stopping { await stopping.value }
        if let service = exitCodeFrom {
            let code = exitCodes[service] ?? 0
            if code != 0 { throw CommandFailure(message: "service \(service) exited with code \(code)", exitCode: code, quiet: true) }
        } else if interrupted {
            throw CommandFailure(message: "interrupted", exitCode: 130, quiet: true)
        } else if abort, let firstExit, firstExit.code != 0 {
            throw CommandFailure(message: "service \(firstExit.service) exited with code \(firstExit.code)", exitCode: firstExit.code, quiet: true)
        }
    }

    /// Stops the project's running containers, dependents first, each with its service's
    /// stop signal and grace period (or `signal` for all when forced); prints docker compose's
    /// progress lines.
    private func stopTask(_ loaded: Project, session: EngineSession, signalOverride: String?) -> Task<Void, Never> {
        let timeout = timeout.map(Double.init)
        let order = (try? DependencyGraph(project: loaded).stopOrder) ?? loaded.serviceNames
        return Task {
            guard let observed = try? await session.observe(project: loaded.name) else { return }
            for service in order + ["" /* containers of services no longer in the file */] {
                let group = observed.containers.filter {
                    $0.isActive && !$0.isOneoff && (service.isEmpty ? !order.contains($0.service ?? "") : $0.service == service)
                }
                let compose = loaded.services[service]
                let signal = compose?.stopSignal ?? "SIGTERM"
                let grace = timeout ?? compose?.stopGracePeriod.map { Double($0.nanoseconds) / 1e9 } ?? 10
                await withTaskGroup(of: Void.self) { tasks in
                    for container in group {
                        tasks.addTask {
                            do {
                                if let signalOverride {
                                    try await session.engine.killContainer(id: container.id, signal: signalOverride)
                                } else {
                                    try await session.engine.stopContainer(id: container.id, signal: signal, gracePeriod: grace)
                                    Console.out("✔ Container \(container.name)  Stopped")
                                }
                            } catch {
                                Console.error("\(error)")
                            }
                        }
                    }
                }
            }
        }
    }
}
