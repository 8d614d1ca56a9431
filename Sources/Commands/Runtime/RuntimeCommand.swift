import ArgumentParser
import Runtime

#if canImport(Glibc)
import Glibc
#endif

/// `berth runtime …`: Berth's own OCI runtime, with runc/crun's verbs and flags.
public struct RuntimeCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "runtime",
        abstract: "Run OCI bundles with Berth's own container runtime (runc-compatible verbs).",
        subcommands: [RuntimeSpecCommand.self, RuntimeRun.self, RuntimeCreate.self, RuntimeStart.self,
                      RuntimeState.self, RuntimeKill.self, RuntimeDelete.self, RuntimeList.self,
                      RuntimePause.self, RuntimeResume.self, RuntimePs.self, RuntimeExec.self]
    )

    // Declared here too so that runc's spelling `berth runtime --root DIR create …` parses; the
    // verbs read the value through their own copy of the group.
    @OptionGroup var global: RuntimeGlobalOptions

    public init() {}
}

/// Flags every runtime verb takes.
struct RuntimeGlobalOptions: ParsableArguments {
    @Option(name: .long, help: "Directory for container state (default: /run/berth/runtime, or $XDG_RUNTIME_DIR/berth/runtime).")
    var root: String?

    /// The runtime, with berth-init looked up next to this executable: SwiftPM builds both into
    /// the same products folder and installs them side by side, and a separate C executable keeps
    /// Swift out of the window between clone and exec. BERTH_INIT overrides it for packagers.
    func runtime() -> ContainerRuntime {
        ContainerRuntime(stateRoot: root ?? ContainerRuntime.defaultStateRoot(), initPath: Self.initPath())
    }

    static func initPath() -> String {
        if let override = getenv("BERTH_INIT") { return String(cString: override) }
        var buffer = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return "berth-init" }
        let exe = String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let directory = exe.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        return directory + "/berth-init"
    }
}

/// Writes a runtime error the way every verb reports one, and gives the exit code to throw.
/// ExitCode (thrown by a verb to pass a container's status on) goes through unchanged.
func fail(_ error: any Error) -> any Error {
    if error is ExitCode { return error }
    printError("berth runtime: \(error)")
    return ExitCode((error as? RuntimeError)?.exitCode ?? 1)
}

func printError(_ message: String) {
    var stderr = StandardError()
    print(message, to: &stderr)
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        var bytes = Array(string.utf8)
        _ = bytes.withUnsafeMutableBytes { Glibc.write(2, $0.baseAddress, $0.count) }
    }
}
