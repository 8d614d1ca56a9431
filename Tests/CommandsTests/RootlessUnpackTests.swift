import Foundation
#if canImport(Glibc)
import Glibc
import CArchive
#endif
import Images
import OCISpec
import Testing

/// Rootless layers are unpacked inside the user namespace containers run in, through the built
/// `berth` and `berth-init` as the unprivileged `berth-test` user: owners in the layer become the
/// host IDs that namespace maps them to.
@Suite("rootless unpack in the user namespace", .enabled(if: RootlessCLI.unavailableReason == nil, "\(RootlessCLI.unavailableReason ?? "")"))
struct RootlessUnpackTests {
    /// A docker-archive holding one image whose layer has files owned by 0 and 1000, a setuid file
    /// with an xattr, and a device node.
    static func ownersArchive(at path: String) throws -> Digest {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        let layer = directory.appendingPathComponent("owners-layer.tar")
        let writer = try TarWriter(path: layer)
        try writer.addDirectory("etc")
        try writer.addFile("etc/root-file", contents: Data("root\n".utf8))
        try writer.addDirectory("home")
        try writer.addDirectory("home/app", mode: 0o750, uid: 1000, gid: 1000)
        try writer.addFile("home/app/data", contents: Data("app\n".utf8), mode: 0o640, uid: 1000, gid: 1000)
        try writer.addDirectory("bin")
        try writer.addFile("bin/tool", contents: Data("#!tool\n".utf8), mode: 0o4755, xattrs: ["user.berth": "mark"])
        try writer.addDirectory("dev")
        try writer.addCharacterDevice("dev/null", major: 1, minor: 3)
        try writer.close()
        let diffID = ContentStore.digest(of: try Data(contentsOf: layer))
        let config = ImageConfig(architecture: Platform.current.architecture, os: "linux", rootfs: .init(diffIDs: [diffID]))
        let tar = try TarWriter(path: URL(fileURLWithPath: path))
        try tar.addFile("config.json", contents: try JSONEncoder().encode(config))
        try tar.addFile("manifest.json", contents: Data(#"[{"Config":"config.json","RepoTags":["localhost/owners:1"],"Layers":["layer.tar"]}]"#.utf8))
        try tar.addFile("layer.tar", from: layer)
        try tar.close()
        return diffID
    }

    /// The first subordinate range of `berth-test` in /etc/subuid or /etc/subgid.
    static func rangeStart(_ file: String) -> UInt32? {
        let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: ":")
            if fields.count == 3, fields[0] == RootlessCLI.user, let start = UInt32(fields[1]) { return start }
        }
        return nil
    }

    @Test("a pulled layer's owners map as in containers: 0 is the user, 1000 is subuid start + 999; setuid and xattrs kept; devices skipped with a note; rm and prune remove it")
    func owners() throws {
        let user = try RootlessCLI()
        let archive = user.area + "/owners.tar"
        let diffID = try Self.ownersArchive(at: archive)
        _ = try RootlessCLI.exec(["/bin/chown", RootlessCLI.user, archive])
        let account = try #require(getpwnam(RootlessCLI.user)).pointee
        let subuid = try #require(Self.rangeStart("/etc/subuid")), subgid = try #require(Self.rangeStart("/etc/subgid"))

        let pull = try user.run(["image", "pull", "docker-archive:" + archive])
        #expect(pull.status == 0, "\(pull.stderr)")
        #expect(pull.stderr.contains("note: dev/null: device node not created"), "\(pull.stderr)")
        #expect(!pull.stderr.contains("warning:"), "a user with ranges gets no fallback warning: \(pull.stderr)")

        let layer = user.area + "/data/images/layers/sha256/" + diffID.encoded
        func info(_ path: String) -> stat? {
            var info = stat()
            return lstat(layer + "/" + path, &info) == 0 ? info : nil
        }
        let rootFile = try #require(info("etc/root-file"), "layer unpacked at \(layer)")
        #expect(rootFile.st_uid == account.pw_uid && rootFile.st_gid == account.pw_gid, "uid 0 in the layer is the user")
        let data = try #require(info("home/app/data"))
        #expect(data.st_uid == subuid + 999 && data.st_gid == subgid + 999, "uid 1000 is the 1000th subordinate ID: got \(data.st_uid):\(data.st_gid)")
        #expect(info("home/app")?.st_uid == subuid + 999)
        let tool = try #require(info("bin/tool"))
        #expect(tool.st_uid == account.pw_uid && tool.st_mode & S_ISUID != 0, "setuid root inside is setuid user outside")
        var value = [UInt8](repeating: 0, count: 16)
        #expect(getxattr(layer + "/bin/tool", "user.berth", &value, value.count) == 4 && Array(value.prefix(4)) == Array("mark".utf8))
        #expect(info("dev/null") == nil, "no device node without CAP_MKNOD in the initial namespace")

        // home/app (0750, a subordinate owner) cannot be emptied by the user from outside.
        #expect(try user.run(["image", "rm", "localhost/owners:1"]).status == 0)
        let prune = try user.run(["image", "prune"])
        #expect(prune.status == 0, "\(prune.stderr)")
        #expect(info("") == nil, "prune removed the layer through the user namespace: \(prune.stdout)")
    }
}
