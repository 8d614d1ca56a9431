import Engine
import EngineAPI
import Foundation
import Images
import Testing

/// `ContainerFiles` over hand-made layers: what a stopped container's files are, whiteouts and
/// opaque directories applied, and links resolved inside the root.
@Suite("container files", .enabled(if: getuid() == 0, "overlay whiteouts are 0/0 character devices: mknod needs root (CI runs as root)"))
struct ContainerFilesTests {
    /// upper over middle over base:
    /// base:   /etc/passwd, /etc/group, /data/old, /data/keep, /bin/tool, /lib -> /usr/lib, /usr/lib/libc
    /// middle: /etc/group deleted (whiteout), /data opaque with /data/new
    /// upper:  /etc/hostname, /bin/tool replaced
    final class Layers {
        let root = NSTemporaryDirectory() + "berth-files-\(UUID().uuidString.prefix(8))"
        var upper: String { root + "/upper" }

        init() throws {
            func write(_ path: String, _ text: String) throws {
                try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            }
            try write(root + "/base/etc/passwd", "root:x:0:0\n")
            try write(root + "/base/etc/group", "root:x:0\n")
            try write(root + "/base/data/old", "old\n")
            try write(root + "/base/data/keep", "keep\n")
            try write(root + "/base/bin/tool", "v1\n")
            try write(root + "/base/usr/lib/libc", "libc\n")
            try FileManager.default.createSymbolicLink(atPath: root + "/base/lib", withDestinationPath: "/usr/lib")
            try FileManager.default.createSymbolicLink(atPath: root + "/base/escape", withDestinationPath: "../../../../..")
            // The middle layer as an image layer arrives: a tar with OCI whiteouts, unpacked by
            // Images into overlay whiteouts (a 0/0 device) and an opaque-directory xattr.
            try write(root + "/middle-tar/data/new", "new\n")
            try write(root + "/middle-tar/data/.wh..wh..opq", "")
            try write(root + "/middle-tar/etc/.wh.group", "")
            let tar = Process()
            tar.executableURL = URL(fileURLWithPath: "/bin/tar")
            tar.arguments = ["-C", root + "/middle-tar", "-cf", root + "/middle.tar", "data", "etc"]
            try tar.run()
            tar.waitUntilExit()
            try FileManager.default.createDirectory(atPath: root + "/middle", withIntermediateDirectories: true)
            let report = try LayerUnpacker(mode: .overlay(userXattr: false))
                .unpack(archive: URL(fileURLWithPath: root + "/middle.tar"), into: URL(fileURLWithPath: root + "/middle"))
            #expect(report.whiteouts == 1 && report.opaqueDirectories == 1)
            try write(root + "/upper/etc/hostname", "box\n")
            try write(root + "/upper/bin/tool", "v2\n")
        }

        deinit { try? FileManager.default.removeItem(atPath: root) }

        var files: ContainerFiles {
            ContainerFiles(.layered(upper: upper, lower: [root + "/middle", root + "/base"]), container: "demo-app-1")
        }

        func read(_ path: String) throws -> String? {
            let out = root + "/out-\(UUID().uuidString.prefix(6))"
            do { try files.copyOut(path, to: out, archive: false) } catch { return nil }
            return try String(contentsOfFile: out, encoding: .utf8)
        }
    }

    @Test("a path reads from the topmost layer that has it; whiteouts and opaque directories hide lower ones", arguments: [
        ("/etc/passwd", "root:x:0:0\n"),   // only in base
        ("/etc/hostname", "box\n"),        // only in upper
        ("/bin/tool", "v2\n"),             // upper over base
        ("/etc/group", nil),               // whited out in middle
        ("/data/new", "new\n"),            // in the opaque directory
        ("/data/old", nil),                // below the opaque directory
        ("/lib/libc", "libc\n"),           // through an absolute link, inside the root
        ("/nonexistent", nil),
    ] as [(String, String?)])
    func lookup(path: String, expected: String?) throws {
        let layers = try Layers()
        #expect(try layers.read(path) == expected)
    }

    @Test("a directory copied out is the union of the layers, minus what is hidden")
    func directoryUnion() throws {
        let layers = try Layers()
        let out = layers.root + "/etc-out"
        try layers.files.copyOut("/etc", to: out, archive: false)
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).sorted() == ["hostname", "passwd"])
        let data = layers.root + "/data-out"
        try layers.files.copyOut("/data", to: data, archive: false)
        #expect(try FileManager.default.contentsOfDirectory(atPath: data) == ["new"])
    }

    @Test("a link that climbs out of the root is refused, not clamped")
    func escapeRefused() throws {
        let layers = try Layers()
        #expect(throws: EngineError.self) { try layers.files.copyOut("/escape/etc/passwd", to: layers.root + "/leak", archive: false) }
        #expect(throws: EngineError.self) { try layers.files.copyOut("/../etc/passwd", to: layers.root + "/leak", archive: false) }
        #expect(!FileManager.default.fileExists(atPath: layers.root + "/leak"))
    }

    @Test("copying in writes the upper layer only, makes the parents there, and lifts a whiteout")
    func copyIn() throws {
        let layers = try Layers()
        let source = layers.root + "/src"
        try Data("mine\n".utf8).write(to: URL(fileURLWithPath: source))
        try layers.files.copyIn(source, to: "/usr/lib/added", archive: false)
        #expect(try String(contentsOfFile: layers.upper + "/usr/lib/added", encoding: .utf8) == "mine\n")
        #expect(!FileManager.default.fileExists(atPath: layers.root + "/base/usr/lib/added"), "lower layers stay as they were")
        try layers.files.copyIn(source, to: "/etc/group", archive: false)
        #expect(try layers.read("/etc/group") == "mine\n")
        try layers.files.copyIn(source, to: "/data", archive: false)
        #expect(try layers.read("/data/src") == "mine\n", "into an existing directory, under the source's name")
    }
}
