import ArgumentParser
import Runtime

/// `berth runtime exec`: run a process inside a running container.
struct RuntimeExec: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "exec", abstract: "Run a process in a running container.")

    @OptionGroup var global: RuntimeGlobalOptions
    @Option(name: [.short, .long], help: "Set an environment variable (NAME=value); repeatable.") var env: [String] = []
    @Option(name: .long, help: "Working directory inside the container.") var cwd: String?
    @Option(name: [.short, .long], help: "User as uid[:gid] or a name from the container's /etc/passwd.") var user: String?
    @Flag(name: [.short, .long], help: "Give the process a pty of the container's own; its master goes to --console-socket.") var tty = false
    @Option(name: .long, help: "Unix socket to send the pty master to (with --tty).") var consoleSocket: String?
    @Flag(name: .long, help: "Every capability and no seccomp filter, still in the container's namespaces.") var privileged = false
    @Argument(help: "The container ID.") var id: String
    @Argument(parsing: .captureForPassthrough, help: "The command and its arguments.") var command: [String] = []

    func validate() throws {
        if tty && consoleSocket == nil {
            throw ValidationError("--tty needs --console-socket PATH: a listener there receives the pty master")
        }
        if consoleSocket != nil && !tty { throw ValidationError("--console-socket is only used with --tty") }
    }

    func run() throws {
        do {
            let args = command.first == "--" ? Array(command.dropFirst()) : command
            let status = try global.runtime().exec(id, .init(args: args, env: env, cwd: cwd, user: user, consoleSocket: tty ? consoleSocket : nil,
                                                                      privileged: privileged))
            throw ExitCode(status.shellCode)
        } catch {
            throw fail(error)
        }
    }
}
