import Foundation
import OCISpec
import Testing

/// `linux.devices`: real nodes made with mknod where the container may (root, no user namespace
/// of its own), the host's node bind-mounted where it may not (rootless), FIFOs made everywhere.
struct ContainerDevicesTests {
    /// A /dev/null-like and a /dev/zero-like device under other names, and a FIFO in a
    /// subdirectory that does not exist yet.
    static let devices: [RuntimeSpec.Device] = [
        .init(type: "c", path: "/dev/mynull", major: 1, minor: 3, fileMode: 0o640, uid: 1000, gid: 1001),
        .init(type: "c", path: "/dev/myzero", major: 1, minor: 5, fileMode: 0o600),
        .init(type: "p", path: "/dev/sub/myfifo", fileMode: 0o620),
    ]

    static func run(_ area: Fixture.Area, change: (inout RuntimeSpec) -> Void = { _ in }) throws -> (facts: [String: String], stderr: String) {
        try area.edit {
            $0.linux?.devices = Self.devices
            $0.process?.args = ["/probe"] + Self.devices.map { "dev:" + $0.path }
            change(&$0)
        }
        let result = try area.berthRun(["run", "--bundle", area.bundle, "devices"])
        #expect(result.status == 0, "\(result.stderr)")
        return (probeFacts(result.stdout), result.stderr)
    }

    @Suite(.enabled(if: Fixture.unavailableReason == nil, "\(Fixture.unavailableReason ?? "")"))
    struct Root {
        @Test("as root without a user namespace, devices are made with mknod with the spec's type, number, mode and owner")
        func mknod() throws {
            let area = try Fixture.Area()
            defer { area.remove() }
            let (facts, stderr) = try ContainerDevicesTests.run(area) {
                $0.linux?.namespaces?.removeAll { $0.type == "user" }
            }
            #expect(facts["dev /dev/mynull"] == "c 1:3 0640 1000:1001 read=eof write=ok")
            #expect(facts["dev /dev/myzero"] == "c 1:5 0600 0:0 read=zeros write=ok")
            #expect(facts["dev /dev/sub/myfifo"] == "p 0:0 0620 0:0 read=- write=-")
            #expect(!stderr.contains("mknod is not permitted"), "no fallback warning: \(stderr)")
        }

        @Test("as root in a user namespace, a device is the host's node bind-mounted, with a warning naming both")
        func userNamespaceBinds() throws {
            let area = try Fixture.Area()
            defer { area.remove() }
            let (facts, stderr) = try ContainerDevicesTests.run(area)
            #expect(facts["dev /dev/mynull"] == "c 1:3 0666 0:0 read=eof write=ok")
            #expect(facts["dev /dev/myzero"] == "c 1:5 0666 0:0 read=zeros write=ok")
            #expect(facts["dev /dev/sub/myfifo"] == "p 0:0 0620 0:0 read=- write=-")
            #expect(stderr.contains("linux.devices[0] (/dev/mynull): mknod is not permitted in a user namespace; bind-mounted the host's /dev/null"), "\(stderr)")
            #expect(stderr.contains("bind-mounted the host's /dev/zero"), "\(stderr)")
        }

        @Test("a device that is malformed, or that has no host node to bind, is refused with its path named",
              arguments: [
                  (RuntimeSpec.Device(type: "x", path: "/dev/a", major: 1, minor: 3), "linux.devices[0] (/dev/a): unknown type \"x\""),
                  (RuntimeSpec.Device(type: "c", path: "/dev/a"), "linux.devices[0] (/dev/a): a character device needs major and minor"),
                  (RuntimeSpec.Device(type: "c", path: "dev/a", major: 1, minor: 3), "linux.devices[0] (dev/a): path must be absolute"),
                  (RuntimeSpec.Device(type: "c", path: "/dev/a", major: 4095, minor: 1_048_000), "the host has no character device 4095:1048000"),
              ])
        func refused(device: RuntimeSpec.Device, message: String) throws {
            let area = try Fixture.Area()
            defer { area.remove() }
            try area.edit {
                $0.linux?.devices = [device]
                $0.process?.args = ["true"]
            }
            let result = try area.berthRun(["run", "--bundle", area.bundle, "refused"])
            #expect(result.status != 0)
            #expect(result.stderr.contains(message), "\(result.stderr)")
        }
    }

    @Suite(.enabled(if: Fixture.rootlessUnavailableReason == nil, "\(Fixture.rootlessUnavailableReason ?? "")"))
    struct Rootless {
        @Test("rootless, devices are the host's nodes bind-mounted (host mode, owner unmapped), FIFOs are made, with a warning")
        func bound() throws {
            let area = try Fixture.Area(rootless: "berth-test")
            defer { area.remove() }
            let (facts, stderr) = try ContainerDevicesTests.run(area) {
                $0.linux?.devices?[0].uid = nil
                $0.linux?.devices?[0].gid = nil
            }
            #expect(facts["dev /dev/mynull"] == "c 1:3 0666 65534:65534 read=eof write=ok")
            #expect(facts["dev /dev/myzero"] == "c 1:5 0666 65534:65534 read=zeros write=ok")
            #expect(facts["dev /dev/sub/myfifo"] == "p 0:0 0620 0:0 read=- write=-")
            #expect(stderr.contains("(/dev/mynull): mknod is not permitted in a user namespace; bind-mounted the host's /dev/null"), "\(stderr)")
        }
    }
}
