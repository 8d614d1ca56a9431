import Foundation
import OCISpec
import Testing
@testable import Images

#if canImport(Glibc)
import Glibc
#endif

/// `prune` sweeping what interrupted pulls and imports leave in `ingest/` and `tmp/`.
@Suite struct TemporarySweepTests {
    /// A store with one leftover of each kind an interrupted pull or import leaves behind.
    struct Leftovers {
        let directory: TemporaryDirectory
        let store: ImageStore
        let anonymous: URL, partial: URL, partialLock: URL, orphanLock: URL, scratch: URL

        init() throws {
            directory = try TemporaryDirectory()
            store = try ImageStore(dataDirectory: directory.path("data"))
            let ingest = store.content.ingestDirectory
            anonymous = ingest.appendingPathComponent("\(UUID().uuidString).anonymous")
            partial = ingest.appendingPathComponent("\(String(repeating: "a", count: 64)).partial")
            partialLock = URL(fileURLWithPath: partial.path + ".lock")
            orphanLock = ingest.appendingPathComponent("\(String(repeating: "b", count: 64)).partial.lock")
            scratch = store.content.scratchDirectory.appendingPathComponent("unpack-\(UUID().uuidString)")
            try Data(repeating: 1, count: 100_000).write(to: anonymous)
            try Data(repeating: 2, count: 50_000).write(to: partial)
            try Data().write(to: partialLock)
            try Data().write(to: orphanLock)
            try FileManager.default.createDirectory(at: scratch.appendingPathComponent("usr/bin"), withIntermediateDirectories: true)
            try Data(repeating: 3, count: 30_000).write(to: scratch.appendingPathComponent("usr/bin/tool"))
            // Extraction restores the archive's mtimes; a sweep must not read them as age.
            for path in [scratch, scratch.appendingPathComponent("usr/bin/tool")] { Self.backdateModification(path) }
        }

        var all: [URL] { [anonymous, partial, partialLock, orphanLock, scratch] }

        static func backdateModification(_ url: URL) {
            var times = [timespec(tv_sec: 86_400, tv_nsec: 0), timespec(tv_sec: 86_400, tv_nsec: 0)]
            _ = utimensat(AT_FDCWD, url.path, &times, AT_SYMLINK_NOFOLLOW)
        }
    }

    static func exists(_ url: URL) -> Bool { FileManager.default.fileExists(atPath: url.path) }

    @Test("entries left alone longer than the age are removed and their bytes reported")
    func removesStale() throws {
        let leftovers = try Leftovers()
        let sweep = leftovers.store.content.sweepTemporaryFiles(olderThan: .zero)
        for url in leftovers.all { #expect(!Self.exists(url), "\(url.lastPathComponent) is swept") }
        #expect(sweep.entries == 5)
        #expect(sweep.bytes >= 180_000, "the three files' contents at least: \(sweep.bytes)")
        #expect(Self.exists(leftovers.store.content.ingestDirectory), "the areas themselves stay")
        #expect(Self.exists(leftovers.store.content.scratchDirectory))
    }

    @Test("entries changed within the hour are kept, even with mtimes restored from an archive")
    func keepsRecent() throws {
        let leftovers = try Leftovers()
        let sweep = leftovers.store.content.sweepTemporaryFiles()
        for url in leftovers.all { #expect(Self.exists(url), "\(url.lastPathComponent) is kept") }
        #expect(sweep == TemporarySweep())
        let later = leftovers.store.content.sweepTemporaryFiles(now: Date().addingTimeInterval(3601))
        #expect(later.entries == 5, "an hour later the same entries are stale")
    }

    @Test("a partial download whose lock a writer holds is kept, and still resumes")
    func keepsLockedPartial() throws {
        let directory = try TemporaryDirectory()
        let store = try ImageStore(dataDirectory: directory.path("data"))
        let content = Data(repeating: 7, count: 10_000)
        let descriptor = Descriptor(mediaType: .ociLayerTar, digest: ContentStore.digest(of: content), size: Int64(content.count))
        let partial = store.content.ingestDirectory.appendingPathComponent("\(descriptor.digest.encoded).partial")
        do {
            let writer = try store.content.writer(expected: descriptor)
            try writer.write(content.prefix(4_000))
            // The writer (and so its lock) must outlive the sweep, as a running pull's does.
            let whileWriting = withExtendedLifetime(writer) { store.content.sweepTemporaryFiles(olderThan: .zero) }
            #expect(Self.exists(partial), "a running pull's partial survives the sweep")
            #expect(whileWriting.entries == 0)
        }
        // The writer went away without committing, as a killed pull does; the next one resumes.
        let resumed = try store.content.writer(expected: descriptor)
        #expect(resumed.offset == 4_000)
    }

    @Test("a partial left by a pull that has ended is swept, and the next pull starts from zero")
    func sweepsAbandonedPartial() throws {
        let directory = try TemporaryDirectory()
        let store = try ImageStore(dataDirectory: directory.path("data"))
        let content = Data(repeating: 9, count: 10_000)
        let descriptor = Descriptor(mediaType: .ociLayerTar, digest: ContentStore.digest(of: content), size: Int64(content.count))
        do {
            let writer = try store.content.writer(expected: descriptor)
            try writer.write(content.prefix(4_000))
        }
        let sweep = store.content.sweepTemporaryFiles(olderThan: .zero)
        #expect(sweep.entries == 2, "the partial and its lock file")
        let next = try store.content.writer(expected: descriptor)
        #expect(next.offset == 0)
        try next.write(content)
        #expect(try next.commit().digest == descriptor.digest)
    }

    @Test("prune reports the swept temporary files in its totals")
    func pruneReports() throws {
        let leftovers = try Leftovers()
        let report = try leftovers.store.prune(temporaryFilesOlderThan: .zero)
        #expect(report.temporaryFiles.entries == 5)
        #expect(report.reclaimedBytes == report.temporaryFiles.bytes, "nothing else was there to free")
        #expect(report.reclaimedBytes >= 180_000)
        let fresh = try Leftovers()
        #expect(try fresh.store.prune().temporaryFiles.entries == 0, "by default only entries over an hour old go")
    }
}

/// `system df`'s view of the temporary areas: measured, never swept.
@Suite struct TemporaryUsageTests {
    @Test("disk usage counts temporary files and what a prune would free, and removes nothing")
    func diskUsage() throws {
        let leftovers = try TemporarySweepTests.Leftovers()
        let recent = try leftovers.store.diskUsage()
        #expect(recent.temporaryEntries == 5, "four files in ingest/, one directory in tmp/")
        #expect(recent.temporaryBytes >= 180_000)
        #expect(recent.reclaimableTemporaryEntries == 0, "nothing is an hour old")
        let stale = try leftovers.store.diskUsage(temporaryFilesOlderThan: .zero)
        #expect(stale.reclaimableTemporaryEntries == 5)
        #expect(stale.reclaimableTemporaryBytes >= 180_000)
        for url in leftovers.all { #expect(TemporarySweepTests.exists(url), "\(url.lastPathComponent) is still there") }
    }
}
