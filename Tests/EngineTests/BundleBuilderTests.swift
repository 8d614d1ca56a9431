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
            $0.resources.memoryReservationBytes = 32 << 20
            $0.resources.pidsLimit = 100
            $0.resources.shmSizeBytes = 1 << 20
            $0.resources.ulimits = ["nofile": .init(soft: 2048, hard: 4096)]
            $0.security.capDrop = ["ALL"]
            $0.security.capAdd = ["net_admin"]
        }
        #expect(oci.linux?.resources?.cpu?.quota == 150_000)
        #expect(oci.linux?.resources?.cpu?.period == 100_000)
        #expect(oci.linux?.resources?.memory?.limit == 64 << 20)
        #expect(oci.linux?.resources?.memory?.reservation == 32 << 20, "mem_reservation is the soft limit")
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
        ("security_opt", { $0.security.securityOpt = ["apparmor=custom"] }),
        ("userns_mode", { $0.namespaces.userns = "keep-id" }),
        ("group_add", { $0.groupAdd = ["wheel"] }),
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

/// What the service keys of issue 6 that the engine used to refuse become in config.json.
@Suite("BundleBuilder service keys")
struct BundleBuilderServiceKeyTests {
    static func make(rootless: Bool = false, shared: [String: [RuntimeSpec.Mount]] = [:],
                     _ edit: (inout ContainerSpec) -> Void) throws(EngineError) -> (spec: RuntimeSpec, sharedMounts: [RuntimeSpec.Mount]) {
        var spec = ContainerSpec(name: "demo-web-1", image: "busybox", imageID: "sha256:0")
        spec.command = ["sh"]
        edit(&spec)
        let process = try ProcessSettings(image: nil, spec: spec)
        return try BundleBuilder(spec: spec, id: BundleBuilderTests.id, process: process, layers: ["/layers/base"],
                                 upperDir: "/c/upper", workDir: "/c/work", rootless: rootless,
                                 uidMappings: IDMapping.identity, gidMappings: IDMapping.identity,
                                 volumePath: { (mount, index) in "/volumes/" + (mount.source ?? "anon-\(index)") + "/_data" },
                                 containerPID: { _ in 4242 },
                                 fileSource: { (_, index) in "/c/files/\(index)" },
                                 sharedMountsOf: { (id) throws(EngineError) in
                                     guard let mounts = shared[id] else { throw EngineError(.notFound, object: id, "none") }
                                     return mounts
                                 },
                                 hostDevices: { ["/dev/kvm", "/dev/fuse"] }).build()
    }

    @Test("a secret is a read-only bind of the container's own copy, not shared through volumes_from")
    func secretMount() throws {
        let built = try Self.make {
            $0.mounts = [.init(kind: .file, source: nil, target: "/run/secrets/token", readOnly: true),
                         .init(kind: .volume, source: "data", target: "/data")]
        }
        #expect(built.spec.mounts?.contains(.init(destination: "/run/secrets/token", type: "bind", source: "/c/files/0",
                                                  options: ["bind", "ro", "nosuid", "nodev", "noexec"])) == true)
        #expect(built.sharedMounts.map(\.destination) == ["/data"])
    }

    @Test("volumes_from takes the other container's shared mounts; :ro makes them read-only; the service's own mount wins")
    func volumesFrom() throws {
        let shared: [String: [RuntimeSpec.Mount]] = ["src": [
            .init(destination: "/data", type: "bind", source: "/volumes/data/_data", options: ["rbind", "rw"]),
            .init(destination: "/cache", type: "bind", source: "/volumes/anon/_data", options: ["rbind", "rw"]),
        ]]
        let built = try Self.make(shared: shared) {
            $0.volumesFrom = [.init(containerID: "src", readOnly: true)]
            $0.mounts = [.init(kind: .tmpfs, source: nil, target: "/cache")]
        }
        let mounts = built.spec.mounts ?? []
        #expect(mounts.first { $0.destination == "/data" }?.options == ["rbind", "ro"])
        #expect(mounts.filter { $0.destination == "/cache" }.map(\.type) == ["tmpfs"])
        #expect(built.sharedMounts.map(\.destination) == ["/data"], "what it took is shared again, as docker's mount points are")
        let writable = try Self.make(shared: shared) { $0.volumesFrom = [.init(containerID: "src", readOnly: false)] }
        #expect(writable.spec.mounts?.first { $0.destination == "/data" }?.options == ["rbind", "rw"])
        #expect(throws: EngineError.self) { try Self.make { $0.volumesFrom = [.init(containerID: "missing", readOnly: false)] } }
    }

    @Test("privileged: every capability, no seccomp, nothing masked, sysfs writable, host devices bound; rootful without a user namespace")
    func privileged() throws {
        let oci = try Self.make { $0.security.privileged = true }.spec
        #expect(oci.process?.capabilities?.effective == Capabilities.names)
        #expect(oci.process?.capabilities?.bounding == Capabilities.names)
        #expect(oci.linux?.seccomp == nil)
        #expect(oci.linux?.maskedPaths == nil && oci.linux?.readonlyPaths == nil)
        #expect(oci.mounts?.first { $0.type == "sysfs" }?.options?.contains("ro") == false)
        #expect(oci.mounts?.contains(.init(destination: "/dev/kvm", type: "bind", source: "/dev/kvm", options: ["bind", "nosuid", "noexec"])) == true)
        #expect(oci.linux?.namespaces?.contains { $0.type == "user" } == false)
        #expect(oci.linux?.uidMappings == nil)
        let rootless = try Self.make(rootless: true) { $0.security.privileged = true }.spec
        #expect(rootless.linux?.namespaces?.contains { $0.type == "user" } == true, "rootless caps are full inside its user namespace")
        let plain = try Self.make { _ in }.spec
        #expect(plain.linux?.seccomp != nil && plain.linux?.maskedPaths?.contains("/proc/kcore") == true)
    }

    @Test("sysctls, domainname, devices, group_add, tmpfs options, cgroup and userns_mode reach the spec")
    func kernelSettings() throws {
        var tmpfs = ContainerSpec.Mount(kind: .tmpfs, source: nil, target: "/run")
        tmpfs.options = ["size=64m", "noexec"]
        let oci = try Self.make {
            $0.security.sysctls = ["net.core.somaxconn": "1024"]
            $0.domainname = "example.org"
            $0.security.devices = ["/dev/null:/dev/mynull:rwm"]
            $0.groupAdd = ["10", "20"]
            $0.mounts = [tmpfs]
            $0.namespaces.cgroup = "host"
            $0.namespaces.userns = "host"
        }.spec
        #expect(oci.linux?.sysctl == ["net.core.somaxconn": "1024", "kernel.domainname": "example.org"])
        #expect(oci.linux?.devices == [.init(type: "c", path: "/dev/mynull", major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0)])
        #expect(oci.process?.user.additionalGids == [10, 20])
        #expect(oci.mounts?.last?.options == ["nosuid", "nodev", "rw", "size=64m", "noexec"])
        let types = Set((oci.linux?.namespaces ?? []).map(\.type))
        #expect(!types.contains("cgroup") && !types.contains("user"))
        #expect(throws: EngineError.self) { try Self.make(rootless: true) { $0.namespaces.userns = "host" } }
        #expect(throws: EngineError.self) { try Self.make { $0.security.devices = ["/nonexistent-device"] } }
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
