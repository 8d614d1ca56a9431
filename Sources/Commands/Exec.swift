import ArgumentParser
import Engine
import EngineAPI
import Foundation

/// `berth exec SERVICE COMMAND…`, as `docker compose exec`: runs a command in a running container
/// of the service (the first, or `--index`), with this terminal's standard streams, and exits with
/// the command's exit code. `-d` leaves it running in the background.
struct Exec: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "exec", abstract: "Execute a command in a running container.")

    @OptionGroup var project: ProjectOptions

    @Flag(name: .shortAndLong, help: "Detached mode: Run command in the background.")
    var detach = false

    @Option(name: .shortAndLong, help: ArgumentHelp("Set environment variables (NAME=value, or NAME to pass this one's).", valueName: "env"))
    var env: [String] = []

    @Option(name: .long, help: "Index of the container if service has multiple replicas.")
    var index = 1

    @Flag(name: [.customShort("T"), .customLong("no-TTY")], help: "Disable pseudo-TTY allocation. By default exec allocates a TTY when standard input is one.")
    var noTTY = false

    @Flag(name: .long, help: "Give extended privileges to the process: every capability, no seccomp filter.")
    var privileged = false

    @Option(name: .shortAndLong, help: "Run the command as this user.")
    var user: String?

    @Option(name: .shortAndLong, help: "Path to workdir directory for this command.")
    var workdir: String?

    @Argument(help: "The service whose container runs the command.")
    var service: String

    @Argument(parsing: .captureForPassthrough, help: "The command and its arguments.")
    var command: [String] = []

    func validate() throws {
        if index < 1 { throw ValidationError("--index must be 1 or more") }
        if arguments.isEmpty { throw ValidationError("exec needs a command to run after the service name") }
    }

    var arguments: [String] { command.first == "--" ? Array(command.dropFirst()) : command }

    /// `NAME` alone takes this process's value, as docker does (and is dropped when unset).
    static func environment(_ entries: [String], host: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        entries.compactMap { entry in
            if entry.contains("=") { return entry }
            return host[entry].map { entry + "=" + $0 }
        }
    }

    func run() async throws {
        let loaded = try project.load()
        guard loaded.services[service] != nil else { throw CommandFailure("no such service: \(service)") }
        let session = try EngineSession()
        let observed = try await session.observe(project: loaded.name)
        let running = observed.containers.filter { !$0.isOneoff && $0.service == service && $0.state == .running }
        guard let container = running.first(where: { $0.number == index }) else {
            throw CommandFailure(index == 1 ? "service \"\(service)\" is not running"
                                            : "service \"\(service)\" is not running container #\(index)")
        }
        var request = LocalEngine.ExecRequest(command: arguments, environment: Self.environment(env),
                                              workingDirectory: workdir, user: user, privileged: privileged)
        if detach {
            try Self.startDetached(request, container: container.id, stateDirectory: session.engine.runtimeStateDirectory)
            return
        }
        let code: Int32
        if !noTTY && isatty(STDIN_FILENO) == 1 {
            let terminal = try ExecTerminal()
            request.consoleSocket = terminal.socketPath
            let engine = session.engine, id = container.id, sent = request
            async let result = { () async -> Result<Int32, CommandFailure> in
                defer { terminal.finished.store(true, ordering: .releasing) }
                do { return .success(try await engine.exec(id: id, sent)) } catch {
                    return .failure(CommandFailure(message: "\(error)"))
                }
            }()
            await onThread {
                guard let master = terminal.receiveMaster() else { return }
                ExecTerminal.relay(master: master)
                close(master)
            }
            code = try await result.get()
        } else {
            do { code = try await session.engine.exec(id: container.id, request) } catch {
                throw CommandFailure(message: error.description)
            }
        }
        if code != 0 { throw CommandFailure(message: "", exitCode: code, quiet: true) }
    }

    /// Hands the command to `berth runtime exec` in a child that outlives this process, with no
    /// terminal and no standard streams, as `docker exec -d` leaves it.
    static func startDetached(_ request: LocalEngine.ExecRequest, container: String, stateDirectory: String) throws {
        var arguments = ["runtime", "--root", stateDirectory, "exec"]
        for entry in request.environment { arguments += ["--env", entry] }
        if let directory = request.workingDirectory { arguments += ["--cwd", directory] }
        if let user = request.user { arguments += ["--user", user] }
        if request.privileged { arguments.append("--privileged") }
        arguments += [container, "--"] + request.command
        let child = Process()
        child.executableURL = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
        child.arguments = arguments
        child.standardInput = FileHandle.nullDevice
        child.standardOutput = FileHandle.nullDevice
        child.standardError = FileHandle.nullDevice
        do { try child.run() } catch {
            throw CommandFailure("exec -d: cannot start the background helper: \(error)")
        }
    }
}
