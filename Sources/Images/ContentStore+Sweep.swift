import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Entries of the store's temporary areas and the space they take: what a sweep removed (or, not
/// removing, would remove), or everything there for `temporaryUsage`.
public struct TemporarySweep: Sendable, Hashable, Codable {
    /// Files in `ingest/` and directories in `tmp/`.
    public var entries = 0
    /// Allocated bytes, each inode once.
    public var bytes: Int64 = 0

    public init(entries: Int = 0, bytes: Int64 = 0) {
        self.entries = entries
        self.bytes = bytes
    }
}

extension ContentStore {
    /// How long a temporary entry must have been left alone before a sweep may take it: far longer
    /// than any pause in a live transfer, short enough that an abandoned pull does not linger.
    public static let temporaryFileLifetime: Duration = .seconds(3600)

    /// Removes what interrupted pulls and imports left in `ingest/` and `tmp/`: entries nothing
    /// has changed for `age`, and, for a resumable `<digest>.partial`, only when no writer holds
    /// its lock. With `removing` false it only reports what it would remove (`system df`).
    /// `now` is the clock's reading, a parameter so tests can look an hour ahead.
    ///
    /// Age is the newest *ctime* in the entry's tree, not its mtime: layer extraction into `tmp/`
    /// restores the archive's mtimes (often years old), while ctime is set by the kernel on every
    /// change and cannot be backdated, so a directory still being filled is always young.
    ///
    /// A partial is removed while holding its lock (`BlobWriter`'s protocol), so a pull starting
    /// at that moment finds the lock taken and writes a private file instead of resuming into a
    /// file being deleted.
    public func sweepTemporaryFiles(olderThan age: Duration = ContentStore.temporaryFileLifetime,
                                    now: Date = Date(), removing: Bool = true) -> TemporarySweep
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
                if removing { FileSystem.remove(url) }
                sweep.entries += 1
                sweep.bytes += status.bytes
                continue
            }
            let status = Self.treeStatus(url)
            guard status.newestChange < cutoff else { continue }
            let lockExisted = FileSystem.exists(lockURL)
            // Removing, the lock is created if missing so no writer can start on the partial
            // meanwhile; only looking, a missing lock simply means nobody holds it.
            let lock = open(lockURL.path, O_RDWR | O_CLOEXEC | (removing ? O_CREAT : 0), 0o644)
            if lock < 0, removing || errno != ENOENT { continue }
            defer { if lock >= 0 { close(lock) } }
            if lock >= 0, flock(lock, LOCK_EX | LOCK_NB) != 0 { continue }  // a pull is writing it
            if url != lockURL {
                if removing { FileSystem.remove(url) }
                sweep.entries += 1
                sweep.bytes += status.bytes
            }
            if lockExisted {
                sweep.entries += 1
                sweep.bytes += Self.treeStatus(lockURL).bytes
            }
            if removing { FileSystem.remove(lockURL) }
        }
        let scratch = (try? FileManager.default.contentsOfDirectory(atPath: scratchDirectory.path)) ?? []
        for name in scratch.sorted() {
            let url = scratchDirectory.appendingPathComponent(name)
            let status = Self.treeStatus(url)
            guard status.newestChange < cutoff else { continue }
            if removing { discardScratch(url) }
            sweep.entries += 1
            sweep.bytes += status.bytes
        }
        return sweep
    }

    /// Entries in `ingest/` and `tmp/` and the space they take, stale or not.
    public func temporaryUsage() -> TemporarySweep {
        var usage = TemporarySweep()
        for directory in [ingestDirectory, scratchDirectory] {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [] {
                usage.entries += 1
                usage.bytes += Self.treeStatus(directory.appendingPathComponent(name)).bytes
            }
        }
        return usage
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
