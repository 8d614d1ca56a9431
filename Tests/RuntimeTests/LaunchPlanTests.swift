import Foundation
import OCISpec
import Testing
@testable import Runtime

/// The translation of a spec into berth-init's configuration, without running anything.
@Suite struct LaunchPlanTests {
    /// A bundle on disk (the plan reads config.json and resolves the rootfs).
    func bundle(_ change: (inout RuntimeSpec) -> Void) throws -> (RuntimeBundle, String) {
        let path = NSTemporaryDirectory() + "berth-plan-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path + "/rootfs/etc", withIntermediateDirectories: true)
        var spec = DefaultSpec.make(rootless: false, uidMappings: IDMapping.identity, gidMappings: IDMapping.identity)
        change(&spec)
        try JSONEncoder().encode(spec).write(to: URL(fileURLWithPath: path + "/config.json"))
        return (try RuntimeBundle(path: path, container: "t"), path)
    }

    /// The records of a configuration as (key, payload) pairs.
    func records(_ config: InitConfig) -> [(String, String)] {
        var result: [(String, String)] = []
        var bytes = config.bytes[...]
        while let newline = bytes.firstIndex(of: 10) {
            let header = String(decoding: bytes[bytes.startIndex..<newline], as: UTF8.self).split(separator: " ")
            let length = Int(header[1]) ?? 0
            let start = newline + 1
            result.append((String(header[0]), String(decoding: bytes[start..<start + length], as: UTF8.self)))
            bytes = bytes[(start + length)...]
        }
        return result
    }

    @Test("namespaces become clone flags, a namespace with a path is joined, and every record parses back")
    func namespaces() throws {
        let (bundle, path) = try bundle {
            $0.linux?.namespaces = [.init(type: "pid"), .init(type: "mount"), .init(type: "network", path: "/run/netns/x")]
            $0.hostname = nil  // a hostname needs a uts namespace
        }
        defer { try? FileManager.default.removeItem(atPath: path) }
        let plan = try LaunchPlan(id: "t", bundle: bundle, stateDirectory: "/state", consoleSocket: nil)
        let parsed = records(plan.config)
        #expect(parsed.first { $0.0 == "clone" }?.1 == "\(0x2000_0000 | 0x0002_0000)")
        #expect(parsed.contains { $0.0 == "join" && $0.1 == "\(0x4000_0000)\0/run/netns/x\0" })
        #expect(parsed.first { $0.0 == "caps" }?.1 == "800405fb 800405fb 0 800405fb 0")
        #expect(parsed.contains { $0.0 == "nnp" })
        #expect(parsed.contains { $0.0 == "mask" && $0.1 == "/proc/kcore" })
        #expect(parsed.last?.0 == "exitfile")
    }

    @Test("spec errors are reported before anything runs", arguments: [
        ("namespace", "unknown namespace type \"time-travel\""),
        ("rlimit", "unknown type \"RLIMIT_FUN\""),
        ("mount", "must be absolute"),
        ("terminal", "pass --console-socket"),
        ("hostname", "hostname needs a new uts namespace"),
    ] as [(String, String)])
    func errors(kind: String, message: String) throws {
        let (bundle, path) = try bundle {
            switch kind {
            case "namespace": $0.linux?.namespaces?.append(.init(type: "time-travel"))
            case "rlimit": $0.process?.rlimits = [.init(type: "RLIMIT_FUN", soft: 1, hard: 1)]
            case "mount": $0.mounts?.append(RuntimeSpec.Mount(destination: "relative", type: "tmpfs", source: "tmpfs"))
            case "hostname": $0.linux?.namespaces?.removeAll { $0.type == "uts" }
            default: $0.process?.terminal = true
            }
        }
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            _ = try LaunchPlan(id: "t", bundle: bundle, stateDirectory: "/state", consoleSocket: nil)
            Issue.record("expected an error containing \(message)")
        } catch let error as RuntimeError {
            #expect(error.code == .invalidConfig)
            #expect(error.message.contains(message), "\(error.message)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test("linux.devices become mknod records without a user namespace, and binds of the host's node (with a warning) in one")
    func devices() throws {
        let devices: [RuntimeSpec.Device] = [
            .init(type: "c", path: "/dev/mynull", major: 1, minor: 3, fileMode: 0o640, uid: 7, gid: 8),
            .init(type: "p", path: "/dev/fifo"),
            .init(type: "c", path: "/dev/zero", major: 1, minor: 5),
        ]
        for userNamespace in [false, true] {
            let (bundle, path) = try bundle {
                $0.linux?.devices = devices
                if !userNamespace { $0.linux?.namespaces?.removeAll { $0.type == "user" } }
            }
            defer { try? FileManager.default.removeItem(atPath: path) }
            let plan = try LaunchPlan(id: "t", bundle: bundle, stateDirectory: "/state", consoleSocket: nil)
            let parsed = records(plan.config)
            let nodes = parsed.filter { $0.0 == "mknod" }.map(\.1)
            let binds = parsed.filter { $0.0 == "device" }.map(\.1)
            let fifo = "/dev/fifo\0\(0o010666)\00\00\00\00\0"
            if userNamespace {
                #expect(nodes == [fifo])
                #expect(binds.first == "/dev/null\0/dev/mynull\0")
                #expect(plan.warnings.contains { $0.contains("(/dev/mynull): mknod is not permitted in a user namespace") })
                #expect(plan.warnings.count == 1, "a listed default device bound from its own path needs no warning: \(plan.warnings)")
                #expect(binds.contains("/dev/zero\0/dev/zero\0"))
            } else {
                #expect(nodes == ["/dev/mynull\0\(0o020640)\01\03\07\08\0", fifo, "/dev/zero\0\(0o020666)\01\05\00\00\0"])
                #expect(!binds.contains { $0.hasSuffix("/dev/mynull\0") || $0.hasSuffix("/dev/zero\0") }, "listed devices are made, not bound")
                #expect(plan.warnings.isEmpty)
            }
            // The defaults not listed are still bound, each from its own host path.
            #expect(binds.contains("/dev/urandom\0/dev/urandom\0"))
        }
    }
}

/// How an overlay root and the cgroup mount reach berth-init.
@Suite struct LaunchPlanOverlayTests {
    struct Row: Sendable, CustomTestStringConvertible {
        var driver: OverlayDriver
        var keys: [String]
        var testDescription: String { driver.rawValue }
    }

    static let rows: [Row] = [
        .init(driver: .native, keys: ["rootoverlay"]),
        .init(driver: .auto, keys: ["rootoverlay", "fuseoverlay", "fuseoptions", "fusepidfile", "fuselog", "fuseroot"]),
        .init(driver: .fuseOverlayfs, keys: ["rootoverlay", "fuseforce", "fuseoverlay", "fuseoptions", "fusepidfile", "fuselog", "fuseroot"]),
    ]

    @Test("the overlay driver decides whether berth-init may fall back to fuse-overlayfs, which gets only the options it knows",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/fuse-overlayfs"), "fuse-overlayfs is not installed (see .ci/deps)"),
          arguments: rows)
    func driver(_ row: Row) throws {
        let plans = LaunchPlanTests()
        let (bundle, path) = try plans.bundle {
            $0.mounts?.insert(.init(destination: "/", type: "overlay", source: "overlay",
                                    options: ["lowerdir=lower", "upperdir=upper", "workdir=work", "index=off", "userxattr"]), at: 0)
        }
        defer { try? FileManager.default.removeItem(atPath: path) }
        let plan = try LaunchPlan(id: "t", bundle: bundle, stateDirectory: "/state/t", consoleSocket: nil, overlay: row.driver)
        let records = plans.records(plan.config)
        let overlayKeys = records.map(\.0).filter { $0 == "rootoverlay" || $0.hasPrefix("fuse") }
        #expect(overlayKeys == row.keys)
        let real = bundle.path
        if row.driver != .native {
            #expect(records.first { $0.0 == "fuseoptions" }?.1 == "lowerdir=\(real)/lower,upperdir=\(real)/upper,workdir=\(real)/work")
            #expect(records.first { $0.0 == "fusepidfile" }?.1 == "/state/t/fuse-overlayfs.pid")
        }
        #expect(records.first { $0.0 == "rootoverlay" }?.1.hasSuffix(",index=off,userxattr") == true)
    }

    @Test("BERTH_OVERLAY values parse; anything else is refused naming the variable and the choices")
    func parse() throws {
        #expect(try OverlayDriver.parse("") == .auto)
        #expect(try OverlayDriver.parse("native") == .native)
        #expect(try OverlayDriver.parse("fuse-overlayfs") == .fuseOverlayfs)
        #expect { try OverlayDriver.parse("fuse") } throws: { error in
            guard let error = error as? RuntimeError else { return false }
            return error.object == "BERTH_OVERLAY" && error.message.contains("auto, native, fuse-overlayfs")
        }
    }

    @Test("a cgroup mount becomes a cgroupfs record with its flags, in place of a warning")
    func cgroupMount() throws {
        let plans = LaunchPlanTests()
        let (bundle, path) = try plans.bundle { _ in }
        defer { try? FileManager.default.removeItem(atPath: path) }
        let plan = try LaunchPlan(id: "t", bundle: bundle, stateDirectory: "/state/t", consoleSocket: nil)
        let record = plans.records(plan.config).first { $0.0 == "cgroupfs" }
        // ro|nosuid|nodev|noexec|relatime, NUL-separated after the destination.
        #expect(record?.1 == "/sys/fs/cgroup\0\(1 | 2 | 4 | 8 | (1 << 21))\0")
        #expect(plan.warnings.isEmpty)
    }
}
