import EngineAPI
import OCISpec
import Runtime
import Testing
@testable import Engine

/// ContainerSpec → config.json, without running anything.
@Suite("BundleBuilder")
struct BundleBuilderTests {
    static let id = String(repeating: "ab", count: 32)

    static func make(_ edit: (inout ContainerSpec) -> Void) throws(EngineError) -> RuntimeSpec {
        var spec = ContainerSpec(name: "demo-web-1", image: "busybox", imageID: "sha256:0")
        spec.command = ["sh"]
        edit(&spec)
        let process = try ProcessSettings(image: nil, spec: spec)
        return try BundleBuilder(spec: spec, id: id, process: process, layers: ["/layers/base", "/layers/top"],
                                 upperDir: "/c/upper", workDir: "/c/work", rootless: false,
                                 uidMappings: IDMapping.identity, gidMappings: IDMapping.identity,
                                 volumePath: { (mount, index) in "/volumes/" + (mount.source ?? "anon-\(index)") + "/_data" },
                                 containerPID: { _ in 4242 }).make()
    }

    @Test("the root is an overlay of the image's layers, top first, over the container's own upper dir")
    func overlayRoot() throws {
        let oci = try Self.make { _ in }
        let root = oci.mounts?.first
        #expect(root?.destination == "/" && root?.type == "overlay")
        #expect(root?.options == ["lowerdir=/layers/top:/layers/base", "upperdir=/c/upper", "workdir=/c/work"])
        #expect(oci.root?.path == "rootfs")
        #expect(oci.hostname == String(Self.id.prefix(12)), "docker's default hostname: the short id")
    }

    struct MountCase: Sendable, CustomTestStringConvertible {
        var name: String
        var mount: ContainerSpec.Mount
        var expected: RuntimeSpec.Mount
        var testDescription: String { name }
    }

    static let mountCases: [MountCase] = {
        var tmpfs = ContainerSpec.Mount(kind: .tmpfs, source: nil, target: "/run")
        tmpfs.size = 1_048_576
        tmpfs.mode = 0o1777
        var sub = ContainerSpec.Mount(kind: .volume, source: "data", target: "/cfg")
        sub.subpath = "conf"
        return [
            MountCase(name: "a read-only bind", mount: .init(kind: .bind, source: "/srv/site", target: "/usr/share/html", readOnly: true),
                      expected: .init(destination: "/usr/share/html", type: "bind", source: "/srv/site", options: ["rbind", "ro"])),
            MountCase(name: "a named volume", mount: .init(kind: .volume, source: "data", target: "/data"),
                      expected: .init(destination: "/data", type: "bind", source: "/volumes/data/_data", options: ["rbind", "rw"])),
            MountCase(name: "a named volume's subpath", mount: sub,
                      expected: .init(destination: "/cfg", type: "bind", source: "/volumes/data/_data/conf", options: ["rbind", "rw"])),
            MountCase(name: "an anonymous volume", mount: .init(kind: .anonymousVolume, source: nil, target: "/cache"),
                      expected: .init(destination: "/cache", type: "bind", source: "/volumes/anon-0/_data", options: ["rbind", "rw"])),
            MountCase(name: "a tmpfs with size and mode", mount: tmpfs,
                      expected: .init(destination: "/run", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "rw", "size=1048576", "mode=1777"])),
        ]
    }()

    @Test("service mounts come after the default ones", arguments: mountCases)
    func mounts(_ test: MountCase) throws {
        let oci = try Self.make { $0.mounts = [test.mount] }
        #expect(oci.mounts?.last == test.expected)
    }

    @Test("limits and capabilities reach the spec")
    func limits() throws {
        let oci = try Self.make {
            $0.resources.cpus = 1.5
            $0.resources.memoryBytes = 64 << 20
            $0.resources.pidsLimit = 100
            $0.resources.shmSizeBytes = 1 << 20
            $0.resources.ulimits = ["nofile": .init(soft: 2048, hard: 4096)]
            $0.security.capDrop = ["ALL"]
            $0.security.capAdd = ["net_admin"]
        }
        #expect(oci.linux?.resources?.cpu?.quota == 150_000)
        #expect(oci.linux?.resources?.cpu?.period == 100_000)
        #expect(oci.linux?.resources?.memory?.limit == 64 << 20)
        #expect(oci.linux?.resources?.pids?.limit == 100)
        #expect(oci.mounts?.first { $0.destination == "/dev/shm" }?.options?.contains("size=1048576") == true)
        #expect(oci.process?.rlimits == [.init(type: "RLIMIT_NOFILE", soft: 2048, hard: 4096)])
        #expect(oci.process?.capabilities?.bounding == ["CAP_NET_ADMIN"])
        #expect(oci.process?.noNewPrivileges == true)
    }

    @Test("host and container namespace modes replace the container's own")
    func namespaces() throws {
        let oci = try Self.make {
            $0.namespaces.network = .host
            $0.namespaces.pid = .container("other")
            $0.namespaces.uts = .host
        }
        let namespaces = oci.linux?.namespaces ?? []
        #expect(!namespaces.contains { $0.type == "network" })
        #expect(namespaces.contains(.init(type: "pid", path: "/proc/4242/ns/pid")))
        #expect(oci.hostname == nil, "a hostname without a uts namespace would rename the host")
        let isolated = try Self.make { _ in }
        #expect(isolated.linux?.namespaces?.contains(.init(type: "network")) == true, "a private network namespace by default")
    }

    static let refused: [(String, @Sendable (inout ContainerSpec) -> Void)] = [
        ("privileged", { $0.security.privileged = true }),
        ("sysctls", { $0.security.sysctls = ["net.core.somaxconn": "1024"] }),
        ("mem_reservation", { $0.resources.memoryReservationBytes = 1 }),
        ("security_opt", { $0.security.securityOpt = ["apparmor=custom"] }),
        ("secrets", { $0.mounts = [.init(kind: .file, source: "/run/s", target: "/run/secrets/s")] }),
    ]

    @Test("what the engine cannot honour yet is refused, never dropped", arguments: 0..<refused.count)
    func unsupported(_ index: Int) {
        let (key, edit) = Self.refused[index]
        #expect(performing: { _ = try Self.make(edit) }, throws: { error in
            guard let error = error as? EngineError else { return false }
            return error.code == .unsupported && error.message.contains(key)
        })
    }
}

@Suite("LocalEngine ids")
struct LocalEngineIDTests {
    @Test("new ids are 64 lowercase hex digits, and only such ids name storage to remove")
    func ids() {
        let id = LocalEngine.newID()
        #expect(LocalEngine.isEngineID(id))
        #expect(LocalEngine.newID() != id)
        for bad in ["", "../../etc", String(repeating: "A", count: 64), String(repeating: "a", count: 63) + "/"] {
            #expect(!LocalEngine.isEngineID(bad), "\(bad)")
        }
    }
}
