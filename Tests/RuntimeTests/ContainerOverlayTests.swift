import Foundation
import OCISpec
import Testing

/// An overlay root filesystem: read-only lower dirs and a per-container upper dir, mounted natively
/// inside the container's user namespace, as root and rootless.
struct ContainerOverlayTests {
    /// Turns the area's rootfs into the lower dir of an overlay root with its own upper dir.
    func makeOverlay(_ area: Fixture.Area) throws {
        let fm = FileManager.default
        try fm.moveItem(atPath: area.bundle + "/rootfs", toPath: area.bundle + "/lower")
        for dir in ["rootfs", "upper", "work"] { try fm.createDirectory(atPath: area.bundle + "/" + dir, withIntermediateDirectories: true) }
        if let user = area.user { _ = try Fixture.run(["/bin/chown", "-R", user, area.bundle]) }
        try area.edit {
            $0.process?.args = ["sh", "-c", "echo new > /created && rm /probe && ls /"]
            $0.root?.readonly = false
            $0.mounts?.insert(.init(destination: "/", type: "overlay", source: "overlay",
                                    options: ["lowerdir=lower", "upperdir=upper", "workdir=work"]), at: 0)
        }
    }

    func check(_ area: Fixture.Area) throws {
        let result = try area.berthRun(["run", "--bundle", area.bundle, "overlay"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("created"))
        #expect(!result.stdout.contains("probe"), "the deletion is visible in the container")
        let fm = FileManager.default
        #expect(fm.fileExists(atPath: area.bundle + "/upper/created"), "writes land in the upper dir")
        #expect(fm.fileExists(atPath: area.bundle + "/lower/probe"), "the lower dir is never modified")
        #expect(!fm.fileExists(atPath: area.bundle + "/lower/created"))
        #expect(((try? fm.contentsOfDirectory(atPath: area.bundle + "/rootfs")) ?? ["?"]).isEmpty, "the mount is gone with the container")
    }

    @Test("as root, writes go to the upper dir and the lower dir stays untouched",
          .enabled(if: Fixture.unavailableReason == nil, "\(Fixture.unavailableReason ?? "")"))
    func rootful() throws {
        let area = try Fixture.Area()
        defer { area.remove() }
        try makeOverlay(area)
        try check(area)
    }

    @Test("rootless, the overlay is mounted natively in the user namespace",
          .enabled(if: Fixture.rootlessUnavailableReason == nil, "\(Fixture.rootlessUnavailableReason ?? "")"))
    func rootless() throws {
        let area = try Fixture.Area(rootless: "berth-test")
        defer { area.remove() }
        try makeOverlay(area)
        try check(area)
    }
}
