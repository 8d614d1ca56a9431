import Foundation
import Testing
import OCISpec
import CArchive
@testable import Images

@Suite("Layer unpacking")
struct LayerUnpackerTests {
    static let tree: [TarEntry] = [
        .directory("bin"),
        .file("bin/busybox", "#!binary", mode: 0o755),
        .symlink("bin/sh", to: "busybox"),
        .hardLink("bin/ash", to: "bin/busybox"),
        .directory("etc"),
        .file("./etc/hostname", "berth\n"),
    ]

    @Test("plain, gzip and zstd layers unpack to the same tree with the same diff ID",
          arguments: [TarWriter.Compression.none, .gzip, .zstd])
    func compressions(compression: TarWriter.Compression) throws {
        let scratch = try TemporaryDirectory()
        let plain = scratch.path("plain.tar")
        try writeTar(Self.tree, to: plain)
        let packed = scratch.path("layer")
        try writeTar(Self.tree, to: packed, compression: compression)
        let target = scratch.path("root")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)

        let report = try LayerUnpacker().unpack(archive: packed, into: target, expectedDiffID: try sha256(of: plain))

        #expect(report.diffID == (try sha256(of: plain)))
        #expect(report.entries == Self.tree.count)
        #expect(try String(contentsOf: target.appendingPathComponent("etc/hostname"), encoding: .utf8) == "berth\n")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: target.appendingPathComponent("bin/sh").path) == "busybox")
        let busybox = try FileManager.default.attributesOfItem(atPath: target.appendingPathComponent("bin/busybox").path)
        let ash = try FileManager.default.attributesOfItem(atPath: target.appendingPathComponent("bin/ash").path)
        #expect(busybox[.systemFileNumber] as? Int == ash[.systemFileNumber] as? Int, "hard link shares the inode")
        #expect((busybox[.posixPermissions] as? Int) == 0o755)
    }

    @Test("whiteouts become overlay whiteouts and opaque markers become the opaque xattr")
    func whiteouts() throws {
        guard geteuid() == 0 else {
            print("skipped: trusted.overlay.* xattrs need root (running as uid \(geteuid()))")
            return
        }
        let scratch = try TemporaryDirectory()
        let layer = scratch.path("layer.tar")
        try writeTar([.directory("etc"), .file("etc/.wh.motd", ""), .directory("var/cache"),
                      .file("var/cache/.wh..wh..opq", ""), .file("var/cache/new", "n")], to: layer)
        let target = scratch.path("root")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)

        let report = try LayerUnpacker(mode: .overlay(userXattr: false)).unpack(archive: layer, into: target)

        #expect(report.whiteouts == 1)
        #expect(report.opaqueDirectories == 1)
        var info = stat()
        #expect(lstat(target.appendingPathComponent("etc/motd").path, &info) == 0)
        #expect(info.st_mode & S_IFMT == S_IFCHR && info.st_rdev == 0, "whiteout is a 0/0 character device")
        #expect(!FileManager.default.fileExists(atPath: target.appendingPathComponent("etc/.wh.motd").path))
        var value = [UInt8](repeating: 0, count: 4)
        let length = getxattr(target.appendingPathComponent("var/cache").path, "trusted.overlay.opaque", &value, value.count)
        #expect(length == 1 && value[0] == UInt8(ascii: "y"))
        #expect(!FileManager.default.fileExists(atPath: target.appendingPathComponent("var/cache/.wh..wh..opq").path))
    }

    static let escapes: [(String, [TarEntry])] = [
        ("dot-dot entry", [.file("../escaped", "x")]),
        ("nested dot-dot entry", [.directory("a"), .file("a/../../escaped", "x")]),
        ("absolute entry", [.file("/ESCAPE/escaped", "x")]),
        ("write through an escaping symlink", [.symlink("link", to: "OUTSIDE"), .file("link/escaped", "x")]),
        ("hard link to a file outside", [.hardLink("copy", to: "../victim")]),
        ("whiteout through a symlink", [.symlink("link", to: "OUTSIDE"), .file("link/.wh.escaped", "")]),
    ]

    @Test("entries that try to leave the layer are refused and nothing is written outside", arguments: escapes)
    func refusesEscapes(label: String, entries: [TarEntry]) throws {
        let scratch = try TemporaryDirectory()
        let outside = scratch.path("outside")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        try Data("keep".utf8).write(to: scratch.path("victim"))
        // Make the symlink cases point at a real directory outside the layer.
        let resolved = entries.map { entry -> TarEntry in
            if case .symlink(let name, "OUTSIDE") = entry { return .symlink(name, to: outside.path) }
            if case .file(let name, let text, let mode) = entry, name.hasPrefix("/ESCAPE") {
                return .file(outside.path + name.dropFirst("/ESCAPE".count), text, mode: mode)
            }
            return entry
        }
        let layer = scratch.path("evil.tar")
        try writeTar(resolved, to: layer)
        let target = scratch.path("layer/root")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)

        let error = #expect(throws: ImageError.self, "\(label)") {
            try LayerUnpacker(mode: .overlay(userXattr: true), restoreOwners: false).unpack(archive: layer, into: target)
        }
        #expect(error?.code == .unsafeArchiveEntry, "\(label): \(String(describing: error))")
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside.path).isEmpty, "\(label) wrote outside")
        #expect(!FileManager.default.fileExists(atPath: scratch.path("layer/escaped").path))
        #expect(try String(contentsOf: scratch.path("victim"), encoding: .utf8) == "keep")
    }

    @Test("a layer whose content does not match its diff ID fails")
    func wrongDiffID() throws {
        let scratch = try TemporaryDirectory()
        let layer = scratch.path("layer.tar.gz")
        try writeTar(Self.tree, to: layer, compression: .gzip)
        let target = scratch.path("root")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        let wrong = try Digest(parsing: "sha256:" + String(repeating: "0", count: 64))
        let error = #expect(throws: ImageError.self) {
            try LayerUnpacker().unpack(archive: layer, into: target, expectedDiffID: wrong)
        }
        #expect(error?.code == .digestMismatch)
    }

    @Test("a truncated gzip layer is reported as corrupt")
    func truncatedGzip() throws {
        let scratch = try TemporaryDirectory()
        let layer = scratch.path("layer.tar.gz")
        let big = (0..<200).map { TarEntry.file("f\($0)", String(repeating: "\($0)", count: 3000)) }
        try writeTar(big, to: layer, compression: .gzip)
        let data = try Data(contentsOf: layer)
        try data.prefix(data.count / 2).write(to: layer)
        let target = scratch.path("root")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        let error = #expect(throws: ImageError.self) { try LayerUnpacker().unpack(archive: layer, into: target) }
        #expect(error?.code == .corruptArchive)
    }
}
