#if canImport(Glibc)
import Glibc
#endif

extension Spawn {
    /// What a helper tool left behind: how it ended and what it wrote to stderr.
    public struct HelperOutcome: Sendable, Hashable {
        public var status: ExitStatus
        /// The first 4 KiB of its stderr, trimmed: the tool's own reason, for an error message.
        public var errors: String
    }

    /// Runs a helper tool (nft, nsenter, `berth-init netns-holder`, …) to its end: stdin from
    /// `input` (else /dev/null), stdout discarded, stderr captured in an anonymous file so a
    /// chatty tool can never block on a full pipe.
    public static func runHelper(_ path: String, arguments: [String], input: Int32? = nil, environment: [String],
                                 stage: String) throws(SystemError) -> HelperOutcome {
        let errors = try Files.anonymousFile(stage: stage)
        defer { close(errors) }
        let null = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { if null >= 0 { close(null) } }
        let child = try spawn(path, arguments: arguments,
                              options: .init(descriptors: [0: input ?? null, 1: null, 2: errors], environment: environment),
                              stage: stage)
        let status = try Processes.wait(child, stage: stage)
        lseek(errors, 0, SEEK_SET)
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = max(0, buffer.withUnsafeMutableBytes { read(errors, $0.baseAddress, $0.count) })
        var text = Substring(String(decoding: buffer[0..<count], as: UTF8.self))
        while let last = text.last, last.isWhitespace { text.removeLast() }
        while let first = text.first, first.isWhitespace { text.removeFirst() }
        return HelperOutcome(status: status, errors: String(text))
    }
}
