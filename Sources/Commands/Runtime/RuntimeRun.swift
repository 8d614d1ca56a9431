import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import Runtime
import SystemSupport

/// `berth runtime run`: create and start a container, and wait for it unless detached.
struct RuntimeRun: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Create and run a container from a bundle.")

    @OptionGroup var global: RuntimeGlobalOptions
    @Option(name: [.short, .long], help: "The bundle directory.") var bundle: String = "."
    @Option(name: .long, help: "Write the container's PID to this file.") var pidFile: String?
    @Option(name: .long, help: "Unix socket to send the pty master to (when process.terminal is true).") var consoleSocket: String?
    @Flag(name: [.short, .long], help: "Return once the container runs; do not wait for it.") var detach = false
    @Argument(help: "The container ID.") var id: String

    func run() throws {
        let runtime = global.runtime()
        do {
            let launched = try runtime.launch(id: id, bundlePath: bundle,
                                              options: .init(waitForStart: false, detach: detach, pidFile: pidFile, consoleSocket: consoleSocket))
            launched.warnings.forEach { printError("warning: \($0)") }
            if detach { return }
            // The terminal sends ^C and ^\ to the whole foreground group, the monitor included,
            // and the monitor forwards them to the container: berth itself stays to collect the
            // status and remove the container. (The monitor resets these to default at spawn.)
            signal(SIGINT, SIG_IGN)
            signal(SIGQUIT, SIG_IGN)
            let status = try runtime.wait(launched, id: id)
            try? runtime.delete(id, force: true)
            throw ExitCode(status.shellCode)
        } catch {
            throw fail(error)
        }
    }
}
