import ArgumentParser
import ComposeSpec
import Foundation

/// The project flags as `ProjectOptions` and `ProjectOptionsForRm` declare them.
protocol ProjectFlags: ParsableArguments {
    var files: [String] { get }
    var projectName: String? { get }
    var projectDirectory: String? { get }
    var envFiles: [String] { get }
    var profiles: [String] { get }
}

/// Flags every project command shares, as docker compose spells them.
struct ProjectOptions: ProjectFlags {
    @Option(name: [.customShort("f"), .customLong("file")], help: "Compose configuration files (repeatable; - for standard input).")
    var files: [String] = []

    @Option(name: [.customShort("p"), .customLong("project-name")], help: "Project name.")
    var projectName: String?

    @Option(name: .customLong("project-directory"), help: "Alternate working directory (default: the directory of the first compose file).")
    var projectDirectory: String?

    @Option(name: .customLong("env-file"), help: "Alternate environment files (repeatable).")
    var envFiles: [String] = []

    @Option(name: .customLong("profile"), help: "Profiles to enable (repeatable).")
    var profiles: [String] = []
}

/// The project flags of `rm`, whose own `-f` is `--force` as in docker compose: there the files
/// are named with `--file`, or with `-f` before the subcommand (`berth -f a.yaml rm -f`), which
/// `GlobalOptions` rewrites to `--file`.
struct ProjectOptionsForRm: ProjectFlags {
    @Option(name: [.customLong("file")], help: "Compose configuration files (repeatable; - for standard input).")
    var files: [String] = []

    @Option(name: [.customShort("p"), .customLong("project-name")], help: "Project name.")
    var projectName: String?

    @Option(name: .customLong("project-directory"), help: "Alternate working directory (default: the directory of the first compose file).")
    var projectDirectory: String?

    @Option(name: .customLong("env-file"), help: "Alternate environment files (repeatable).")
    var envFiles: [String] = []

    @Option(name: .customLong("profile"), help: "Profiles to enable (repeatable).")
    var profiles: [String] = []
}

extension ProjectFlags {
    /// Loader options for this invocation.
    func loaderOptions(services: [String] = []) -> ComposeLoader.Options {
        var options = ComposeLoader.Options(environment: ProcessInfo.processInfo.environment,
                                            workingDirectory: FileManager.default.currentDirectoryPath)
        options.files = files
        options.projectName = projectName
        options.projectDirectory = projectDirectory
        options.envFiles = envFiles
        options.profiles = profiles
        options.services = services
        options.readStandardInput = { Array(FileHandle.standardInput.readDataToEndOfFile()) }
        return options
    }

    /// The project's name only (`ComposeLoader.loadName`): enough for commands that read the
    /// project's state and nothing of its files.
    func loadName() throws -> String {
        do { return try ComposeLoader(options: loaderOptions()).loadName() } catch {
            throw CommandFailure(message: error.description)
        }
    }

    /// Loads the project, printing warnings to standard error; a load error exits non-zero
    /// with the located message.
    func load(services: [String] = [], adjust: (inout ComposeLoader.Options) -> Void = { _ in }) throws -> Project {
        var options = loaderOptions(services: services)
        adjust(&options)
        do {
            let loaded = try ComposeLoader(options: options).load()
            for warning in loaded.warnings { Console.warn(warning.description) }
            return loaded.project
        } catch {
            throw CommandFailure(message: error.description)
        }
    }
}

/// An error the CLI prints as one line (prefixed with `error: `) before exiting non-zero.
struct CommandFailure: Error, CustomStringConvertible {
    var message: String
    var exitCode: Int32 = 1
    /// Exit with the code but print nothing: the output already said it or the exit code is the
    /// answer (a container's own exit code passed through by `run`, attached `up`, `exec`, `wait`).
    var quiet = false
    var description: String { message }

    init(message: String, exitCode: Int32 = 1, quiet: Bool = false) {
        self.message = message
        self.exitCode = exitCode
        self.quiet = quiet
    }

    init(_ message: String) { self.init(message: message) }
}

/// The only place the CLI writes to the terminal.
enum Console {
    static func out(_ text: String) {
        FileHandle.standardOutput.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }

    static func warn(_ text: String) {
        FileHandle.standardError.write(Data("warning: \(text)\n".utf8))
    }

    /// Something the user should know that is neither a result nor a problem.
    static func note(_ text: String) {
        FileHandle.standardError.write(Data("note: \(text)\n".utf8))
    }

    static func error(_ text: String) {
        FileHandle.standardError.write(Data("error: \(text)\n".utf8))
    }

    /// A line on standard error without a prefix: what docker compose says there when there is
    /// nothing to do (`no container to kill`).
    static func say(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// Asks `question` with a `(y/N)` suffix and reads one line from standard input; only `y` or
    /// `yes` agrees, and end of input (a script that gave no answer) declines, as compose's prompt.
    static func confirm(_ question: String) -> Bool {
        FileHandle.standardOutput.write(Data("\(question) (y/N) ".utf8))
        let answer = readLine(strippingNewline: true)?.trimmingCharacters(in: .whitespaces).lowercased()
        if answer == nil { FileHandle.standardOutput.write(Data("\n".utf8)) }
        return answer == "y" || answer == "yes"
    }
}
