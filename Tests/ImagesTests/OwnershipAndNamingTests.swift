import Foundation
#if canImport(Glibc)
import Glibc
import CArchive
#endif
import OCISpec
import Testing
@testable import Images

/// The owner layer the rootless test unpacks too (Tests/CommandsTests/RootlessUnpackTests.swift):
/// root-owned, 1000-owned, a setuid file with an xattr, and a device node.
enum OwnerLayer {
    static func write(to url: URL) throws {
        let writer = try TarWriter(path: url)
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
    }
}

@Suite("Owners, isolation choice and offline names")
struct OwnershipAndNamingTests {
    @Test("as root, owners, the setuid bit, xattrs and device nodes are restored as the layer has them")
    func rootfulOwners() throws {
        guard geteuid() == 0 else {
            print("skipped: restoring other owners needs root (running as uid \(geteuid())); the rootless half is RootlessUnpackTests")
            return
        }
        let scratch = try TemporaryDirectory()
        let layer = scratch.path("owners.tar")
        try OwnerLayer.write(to: layer)
        let target = scratch.path("root")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)

        let report = try LayerUnpacker().unpack(archive: layer, into: target)

        func owner(_ path: String) -> (uid: UInt32, gid: UInt32, mode: UInt32) {
            var info = stat()
            guard lstat(target.appendingPathComponent(path).path, &info) == 0 else { return (.max, .max, 0) }
            return (info.st_uid, info.st_gid, info.st_mode)
        }
        #expect(owner("etc/root-file").uid == 0)
        #expect(owner("home/app").uid == 1000 && owner("home/app").gid == 1000)
        #expect(owner("home/app/data").uid == 1000 && owner("home/app/data").mode & 0o777 == 0o640)
        #expect(owner("bin/tool").mode & S_ISUID != 0, "setuid kept")
        var value = [UInt8](repeating: 0, count: 16)
        let length = getxattr(target.appendingPathComponent("bin/tool").path, "user.berth", &value, value.count)
        #expect(length == 4 && Array(value.prefix(4)) == Array("mark".utf8))
        #expect(owner("dev/null").mode & S_IFMT == S_IFCHR, "root outside a user namespace makes device nodes")
        #expect(report.skipped.isEmpty)
    }

    @Test("rootless, the unpack is isolated in a user namespace only with ranges, helpers and executables", arguments: [
        ("alice:100000:65536\n", "alice:200000:65536\n", true, true, "0 1000 1 1 100000 65536", "0 1000 1 1 200000 65536"),
        ("1000:300000:65536\n", "1000:300000:65536\n", true, true, "0 1000 1 1 300000 65536", "0 1000 1 1 300000 65536"),
        ("bob:100000:65536\n", "bob:100000:65536\n", true, true, nil, nil),  // another user's range
        ("alice:100000:65536\n", "", true, true, nil, nil),                   // no gid range
        ("alice:100000:65536\n", "alice:100000:65536\n", false, true, nil, nil),  // no newuidmap
        ("alice:100000:65536\n", "alice:100000:65536\n", true, false, nil, nil),  // no berth-init
    ] as [(String, String, Bool, Bool, String?, String?)])
    func isolationChoice(subuid: String, subgid: String, helpers: Bool, executables: Bool, uidMap: String?, gidMap: String?) {
        let choice = UnpackIsolation.rootless(user: "alice", uid: 1000, gid: 1000, subuid: subuid, subgid: subgid, helpers: helpers,
                                              initPath: executables ? "/x/berth-init" : nil, berthPath: executables ? "/x/berth" : nil)
        switch choice {
        case .userNamespace(let helper):
            #expect(helper.uidMap == uidMap)
            #expect(helper.gidMap == gidMap)
        case .inProcess(let warning):
            #expect(uidMap == nil, "expected a user namespace")
            #expect(warning?.isEmpty == false, "falling back says why")
        }
        if subgid.isEmpty {
            #expect(choice == .inProcess(warning: UnpackIsolation.noRangeWarning), "no range: the runtime's single-ID fallback, with its advice")
        }
    }

    @Test("an in-process fallback's warning reaches the unpack report of every layer it unpacks")
    func fallbackWarning() throws {
        let scratch = try TemporaryDirectory()
        let store = try ImageStore(dataDirectory: scratch.path("data"), isolation: .inProcess(warning: UnpackIsolation.noRangeWarning))
        let record = try FixtureImageBuilder(store: store, scratch: scratch.url)
            .build(name: "localhost/warn:1", layers: [([.file("a", "a")], .gzip)])
        let reports = try store.unpackLayers(of: record)
        #expect(reports.count == 1)
        #expect(reports.first?.warnings == [UnpackIsolation.noRangeWarning])
        #expect(try store.unpackLayers(of: record).isEmpty, "an unpacked layer is not unpacked again")
    }

    static func annotated(_ annotations: [String: String]?) -> Descriptor {
        Descriptor(mediaType: .ociManifest, digest: ContentStore.digest(of: Data("m".utf8)), size: 1, annotations: annotations)
    }

    @Test("an image from an OCI layout is named by its full-name annotation, else its tag, else the tag given, else latest when alone", arguments: [
        (["io.containerd.image.name": "example.com/app:2"], nil, "/tmp/x/busybox", true, "example.com/app:2"),
        ([Descriptor.refNameAnnotation: "quay.io/org/tool:v1"], nil, "/tmp/busybox", true, "quay.io/org/tool:v1"),
        ([Descriptor.refNameAnnotation: "1.36"], nil, "/tmp/images/busybox", false, "localhost/busybox:1.36"),
        ([:], "edge", "/tmp/images/busybox", false, "localhost/busybox:edge"),
        (nil, nil, "/srv/My App.tar.gz", true, "localhost/my-app:latest"),
        (nil, nil, "/srv/web_image.oci.tar", true, "localhost/web-image-oci:latest"),
        (nil, nil, "/srv/images/base", false, nil),
        (nil, nil, "/srv/___", true, "localhost/image:latest"),
    ] as [([String: String]?, String?, String, Bool, String?)])
    func offlineNames(annotations: [String: String]?, tag: String?, source: String, alone: Bool, expected: String?) {
        let name = ImageStore.name(of: Self.annotated(annotations), tag: tag, source: source, alone: alone)
        #expect(name?.description == expected)
    }

    @Test("oci: and docker-archive: imports without a name show under the generated name in the store")
    func importedNames() throws {
        let scratch = try TemporaryDirectory()
        let source = try ImageStore(dataDirectory: scratch.path("source"), isolation: .inProcess(warning: nil))
        let record = try FixtureImageBuilder(store: source, scratch: scratch.url)
            .build(name: "localhost/named:1", layers: [([.file("a", "a")], .none)])
        let archive = scratch.path("Web Server.tar")
        try source.save([record], to: archive)

        let store = try ImageStore(dataDirectory: scratch.path("data"), isolation: .inProcess(warning: nil))
        // A docker save of an image ID carries no RepoTags: rewrite the saved archive without them.
        let unnamed = try Self.withoutRepoTags(archive, scratch: scratch)
        let loaded = try store.importImages(from: .dockerArchive(path: unnamed.path))
        #expect(loaded.map { $0.reference?.description } == ["localhost/unnamed:latest"])
        #expect(try store.resolve("localhost/unnamed").manifest.digest == loaded.first?.manifest.digest)
        #expect(try store.prune().removedImages.isEmpty, "a generated name is a name: prune keeps it")
    }

    /// The docker-archive at `archive` with `RepoTags` dropped, as `unnamed.tar`.
    static func withoutRepoTags(_ archive: URL, scratch: TemporaryDirectory) throws -> URL {
        let directory = scratch.path("unpacked-\(UUID().uuidString.prefix(6))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        _ = try LayerUnpacker(mode: .plain, restoreOwners: false).unpack(archive: archive, into: directory)
        let manifestURL = directory.appendingPathComponent("manifest.json")
        var entries = try JSONDecoder().decode([DockerArchiveManifest].self, from: Data(contentsOf: manifestURL))
        for index in entries.indices { entries[index].repoTags = nil }
        try JSONEncoder().encode(entries).write(to: manifestURL)
        let output = scratch.path("unnamed.tar")
        let writer = try TarWriter(path: output)
        let walker = FileManager.default.enumerator(atPath: directory.path)
        while let relative = walker?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: directory.appendingPathComponent(relative).path, isDirectory: &isDirectory)
            if isDirectory.boolValue { try writer.addDirectory(relative) } else {
                try writer.addFile(relative, from: directory.appendingPathComponent(relative))
            }
        }
        try writer.close()
        return output
    }
}
