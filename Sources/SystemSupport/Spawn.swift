import CLinuxShim
#if canImport(Glibc)
import Glibc
#endif

/// Starts programs with posix_spawn, so no Swift code runs in the child between fork and exec.
public enum Spawn {
    /// Options for one spawn.
    public struct Options: Sendable, Hashable {
        /// Child descriptor number → parent descriptor to dup into it. 0, 1 and 2 are inherited
        /// unless listed; other descriptors must be close-on-exec in the parent.
        public var descriptors: [Int32: Int32]
        /// Start a new session (detaches from the controlling terminal).
        public var newSession: Bool
        public var environment: [String]
        /// Close every descriptor above 2 that is not listed, close-on-exec or not. For a child
        /// that outlives its parent (a detached supervisor): descriptors the parent inherited
        /// without close-on-exec (Foundation's `Process` gives its children such a socket and
        /// waits for it to close) must not be held open by the grandchild.
        public var closesOtherDescriptors: Bool

        public init(descriptors: [Int32: Int32] = [:], newSession: Bool = false, environment: [String],
                    closesOtherDescriptors: Bool = false) {
            self.descriptors = descriptors
            self.newSession = newSession
            self.environment = environment
            self.closesOtherDescriptors = closesOtherDescriptors
        }
    }

    /// Spawns `path` with `arguments` (argv[0] included) and returns the child's PID.
    public static func spawn(_ path: String, arguments: [String], options: Options, stage: String) throws(SystemError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // Move every source out of the way first so that mapping 3→4 and 4→3 cannot clobber.
        let high: Int32 = 1000
        for (index, source) in options.descriptors.sorted(by: { $0.key < $1.key }).map(\.value).enumerated() {
            posix_spawn_file_actions_adddup2(&actions, source, high + Int32(index))
        }
        for (index, target) in options.descriptors.keys.sorted().enumerated() {
            posix_spawn_file_actions_adddup2(&actions, high + Int32(index), target)
        }
        if options.closesOtherDescriptors {
            let highest = options.descriptors.keys.max().map { max($0, 2) } ?? 2
            posix_spawn_file_actions_addclosefrom_np(&actions, highest + 1)
        }
        // Other descriptors are not closed explicitly: Berth opens every descriptor with
        // O_CLOEXEC (pipe2, open), so exec closes them; dup2 above clears the flag on the targets.

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var flags = Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        // POSIX_SPAWN_SETSID (glibc ≥ 2.26) is hidden behind _GNU_SOURCE in the Swift overlay.
        let spawnSetsid: Int32 = 0x80
        if options.newSession { flags |= spawnSetsid }
        posix_spawnattr_setflags(&attributes, Int16(flags))
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigdefault(&attributes, &all)

        let argv = arguments.map { strdup($0) } + [nil]
        let envp = options.environment.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        if result != 0 {
            throw SystemError(stage: stage, call: "posix_spawn", object: path, errno: result)
        }
        return pid
    }
}
