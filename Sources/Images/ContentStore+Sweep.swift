import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What a sweep of the store's temporary areas removed.
public struct TemporarySweep: Sendable, Hashable, Codable {
    /// Files in `ingest/` and directories in `tmp/` removed.
    public var removedEntries = 0
    /// Disk space they took (allocated blocks, each inode once).
    public var reclaimedBytes: Int64 = 0

    public init(removedEntries: Int = 0, reclaimedBytes: Int64 = 0) {
        self.removedEntries = removedEntries
        self.reclaimedBytes = reclaimedBytes
    }
}

extension ContentStore {
    /// How long a temporary entry must have been left alone before a sweep may take it: far longer
    /// than any pause in a live transfer, short enough that an abandoned pull does not linger.
    public static let temporaryFileLifetime: Duration = .seconds(3600)

    /// Removes what interrupted pulls and imports left in `ingest/` and `tmp/`: entries nothing
    /// has changed for `age`, and, for a resumable `<digest>.partial`, only when no writer holds
    /// its lock.
    ///
    /// Age is the newest *ctime* in the entry's tree, not its mtime: layer extraction into `tmp/`
    /// restores the archive's mtimes (often years old), while ctime is set by the kernel on every
    /// change and cannot be backdated, so a directory still being filled is always young.
    ///
    /// A partial is removed while holding its lock (`BlobWriter`'s protocol), so a pull starting
    /// at that moment finds the lock taken and writes a private file instead of resuming into a
    /// file being deleted.
    public func sweepTemporaryFiles(olderThan age: Duration = ContentStore.temporaryFileLifetime,
                                    now: Date = Date()) -> TemporarySweep
    {
        let cutoff = now.timeIntervalSince1970 - Double(age.components.seconds)
            - Double(age.components.attoseconds) / 1e18
        var sweep = TemporarySweep()
        let ingest = (try? FileManager.default.contentsOfDirectory(atPath: ingestDirectory.path)) ?? []
        let names = Set(ingest)
        for name in ingest.sorted() {
            let url = ingestDirectory.appendingPathComponent(name)
            let lockURL: URL
            if name.hasSuffix(".partial.lock") {
                // A lock is removed with its partial; alone, it is the leftover of a crash.
                guard !names.contains(String(name.dropLast(".lock".count))) else { continue }
                lockURL = url
            } else if name.hasSuffix(".partial") {
                lockURL = ingestDirectory.appendingPathComponent(name + ".lock")
            } else {
                // `.anonymous` and `.concurrent` files belong to one writer and have no lock;
                // a writer that has not written for an hour is gone.
                let status = Self.treeStatus(url)
                guard status.newestChange < cutoff else { continue }
                FileSystem.remove(url)
                sweep.removedEntries += 1
                sweep.reclaimedBytes += status.bytes
                continue
            }
            let status = Self.treeStatus(url)
            guard status.newestChange < cutoff else { continue }
            let lock = open(lockURL.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard lock >= 0 else { continue }
            defer { close(lock) }
            guard flock(lock, LOCK_EX | LOCK_NB) == 0 else { continue }  // a pull is writing it
            var bytes = status.bytes
            if url != lockURL {
                FileSystem.remove(url)
                sweep.removedEntries += 1
            }
            bytes += Self.treeStatus(lockURL).bytes
            FileSystem.remove(lockURL)
            sweep.removedEntries += 1
            sweep.reclaimedBytes += bytes
        }
        let scratch = (try? FileManager.default.contentsOfDirectory(atPath: scratchDirectory.path)) ?? []
        for name in scratch.sorted() {
            let url = scratchDirectory.appendingPathComponent(name)
            let status = Self.treeStatus(url)
            guard status.newestChange < cutoff else { continue }
            discardScratch(url)
            sweep.removedEntries += 1
            sweep.reclaimedBytes += status.bytes
        }
        return sweep
    }

    /// Allocated bytes of `url` and everything below it, and the newest ctime among them
    /// (seconds since 1970). A missing entry reads as empty and infinitely old.
    static func treeStatus(_ url: URL) -> (bytes: Int64, newestChange: Double) {
        var bytes: Int64 = 0
        var newest = -Double.infinity
        var seen = Set<UInt64>()
        func visit(_ path: String) -> Bool {
            var info = stat()
            guard lstat(path, &info) == 0 else { return false }
            if seen.insert(UInt64(info.st_ino)).inserted { bytes += Int64(info.st_blocks) * 512 }
            newest = max(newest, Double(info.st_ctim.tv_sec) + Double(info.st_ctim.tv_nsec) / 1e9)
            return info.st_mode & S_IFMT == S_IFDIR
        }
        if visit(url.path), let walker = FileManager.default.enumerator(atPath: url.path) {
            for case let relative as String in walker { _ = visit(url.appendingPathComponent(relative).path) }
        }
        return (bytes, newest)
    }
}
