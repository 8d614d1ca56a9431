import CLinuxShim
#if canImport(Glibc)
import Glibc
#endif

/// The supervisor's resident memory: what it holds, and giving back what its start-up touched
/// and supervising does not use.
///
/// A `berth supervise` process starts as every `berth` does: the dynamic linker maps the Swift
/// runtime, Foundation (with ICU), libcurl and gnutls, sqlite, the ~9 MB `berth` binary, and the
/// start-up (argument parsing, the command tree, opening the store, the first reload) executes
/// code all over them. The kernel maps file pages into the process in 64 KiB fault-around
/// blocks, so each first touch counts 16 pages in VmRSS, and those pages stay mapped for the
/// life of the process although it never runs that code again. `trimFileMappings()` unmaps them
/// from this process's page tables with `MADV_DONTNEED`: they stay in the page cache (shared with
/// every other `berth`), and a page the supervisor does use later is mapped again on its next
/// touch by a minor fault, so VmRSS comes to measure what the supervisor really uses.
public enum ResidentMemory {
    /// What one `trimFileMappings()` gave back.
    public struct Trim: Sendable, Hashable, Codable {
        /// Resident file pages unmapped, in KiB.
        public var unmappedKiB: Int
        /// Read-only file mappings trimmed.
        public var mappings: Int
    }

    /// Unmaps the file pages of this process's private, read-only file mappings (code and
    /// constant data of the executable and its libraries) and returns freed heap to the system.
    ///
    /// Only mappings with no anonymous (copy-on-write) page are touched: for those, a page
    /// dropped is read back unchanged from the file on the next access, so nothing the process
    /// wrote is lost. Relocated data (RELRO, the GOT) has copy-on-write pages and is left alone,
    /// as are writable and shared mappings. Call it when the process has settled (after start-up,
    /// after a reload), not in a loop: the next touches fault the used pages back.
    @discardableResult
    public static func trimFileMappings() -> Trim {
        var trim = Trim(unmappedKiB: 0, mappings: 0)
        for mapping in readOnlyFileMappings() where mapping.residentKiB > 0 && mapping.anonymousKiB == 0 {
            guard let start = UnsafeMutableRawPointer(bitPattern: mapping.start) else { continue }
            if madvise(start, mapping.end - mapping.start, MADV_DONTNEED) == 0 {
                trim.unmappedKiB += mapping.residentKiB
                trim.mappings += 1
            }
        }
        // Heap freed after start-up (decoded records, parsed arguments) goes back too.
        _ = malloc_trim(0)
        return trim
    }

    /// This process's resident set from /proc/self/status, in KiB: total, anonymous, file.
    public static func current() -> (rss: Int, anonymous: Int, file: Int)? {
        guard let text = readProcFile("/proc/self/status") else { return nil }
        var values: [String: Int] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("Rss") || line.hasPrefix("VmRSS") {
            let fields = line.split(whereSeparator: { $0 == ":" || $0 == " " || $0 == "\t" })
            if fields.count >= 2, let kib = Int(fields[1]) { values[String(fields[0])] = kib }
        }
        guard let rss = values["VmRSS"] else { return nil }
        return (rss, values["RssAnon"] ?? 0, values["RssFile"] ?? 0)
    }

    struct Mapping: Sendable, Hashable {
        var start: Int
        var end: Int
        var residentKiB = 0
        var anonymousKiB = 0
    }

    /// Private, non-writable, file-backed mappings with their Rss and Anonymous, from
    /// /proc/self/smaps.
    static func readOnlyFileMappings() -> [Mapping] {
        guard let text = readProcFile("/proc/self/smaps") else { return [] }
        return parseSmaps(text)
    }

    static func parseSmaps(_ text: String) -> [Mapping] {
        var result: [Mapping] = []
        var current: Mapping?
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard let first = fields.first else { continue }
            if first.last != ":" {
                // A header: `start-end perms offset dev inode [path]`.
                if let current { result.append(current) }
                current = nil
                guard fields.count >= 6 else { continue }
                let range = first.split(separator: "-")
                let perms = Array(fields[1].utf8)
                guard range.count == 2, let start = Int(range[0], radix: 16), let end = Int(range[1], radix: 16),
                      perms.count == 4, perms[1] != UInt8(ascii: "w"), perms[3] == UInt8(ascii: "p"),
                      fields[4] != "0", fields[5].first == "/" else { continue }
                current = Mapping(start: start, end: end)
            } else if current != nil, fields.count >= 2, let kib = Int(fields[1]) {
                if first == "Rss:" { current?.residentKiB = kib }
                if first == "Anonymous:" { current?.anonymousKiB = kib }
            }
        }
        if let current { result.append(current) }
        return result
    }

    /// A whole /proc file: its size is unknown until read, so it is read in chunks.
    private static func readProcFile(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            bytes += chunk[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
