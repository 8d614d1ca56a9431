import Foundation
import OCISpec
import Testing

/// fuse-overlayfs, the fallback for kernels that cannot mount overlayfs in a user namespace,
/// forced with BERTH_OVERLAY=fuse-overlayfs on kernels that can.
@Suite(.enabled(if: Fixture.fuseUnavailableReason == nil, "\(Fixture.fuseUnavailableReason ?? "")"))
struct ContainerFuseOverlayTests {

    /// The area's rootfs becomes the lower dir of an overlay root, all owned by the user (and
    /// its group: fuse-overlayfs copies a directory up with its group, which must be mapped).
    func makeOverlay(_ area: Fixture.Area) throws {
        let fm = FileManager.default
        try fm.moveItem(atPath: area.bundle + "/rootfs", toPath: area.bundle + "/lower")
        for dir in ["rootfs", "upper", "work"] { try fm.createDirectory(atPath: area.bundle + "/" + dir, withIntermediateDirectories: true) }
        let user = area.user ?? "root"
        _ = try Fixture.run(["/bin/chown", "-R", "\(user):\(user)", area.bundle])
        try area.edit {
            $0.root?.readonly = false
            $0.mounts?.insert(.init(destination: "/", type: "overlay", source: "overlay",
                                    options: ["lowerdir=lower", "upperdir=upper", "workdir=work"]), at: 0)
        }
    }

    /// `berth runtime ARGS` with BERTH_OVERLAY set.
    func berth(_ area: Fixture.Area, _ arguments: [String], overlay: String = "fuse-overlayfs") throws -> Fixture.Result {
        try Fixture.run(["/usr/bin/env", "BERTH_OVERLAY=\(overlay)", area.berth, "runtime", "--root", area.stateRoot] + arguments, as: area.user)
    }

    /// PIDs of fuse-overlayfs daemons serving this area's bundle.
    func daemons(_ area: Fixture.Area) -> [Int32] {
        let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { Int32($0) }
        return pids.filter { pid in
            guard let cmdline = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline")) else { return false }
            let text = String(decoding: cmdline.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            return text.hasPrefix("fuse-overlayfs") && text.contains(area.bundle)
        }
    }

    func hostMounts(_ area: Fixture.Area) -> [String] {
        ((try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? "").split(separator: "\n")
            .map(String.init).filter { $0.contains(area.bundle) }
    }

    @Test("rootless, the root file system is served by fuse-overlayfs: writes go to the upper dir, and the daemon ends with the container")
    func rootless() throws {
        let area = try Fixture.Area(rootless: "berth-test")
        defer { area.remove() }
        try makeOverlay(area)
        try area.setArgs(["sh", "-c", "grep ' / / ' /proc/self/mountinfo; echo new > /created && rm /probe && ls /"])
        let result = try berth(area, ["run", "--bundle", area.bundle, "fuse"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("fuse.fuse-overlayfs"), "\(result.stdout)")
        #expect(result.stdout.contains("created"))
        #expect(!result.stdout.contains("probe"), "the deletion is visible in the container")
        let fm = FileManager.default
        #expect(fm.fileExists(atPath: area.bundle + "/upper/created"), "writes land in the upper dir")
        #expect(fm.fileExists(atPath: area.bundle + "/lower/probe"), "the lower dir is never modified")
        #expect(!fm.fileExists(atPath: area.bundle + "/lower/created"))
        #expect(daemons(area).isEmpty, "no fuse-overlayfs left once the container has exited")
        #expect(hostMounts(area).isEmpty)
        #expect(area.stateEntries.isEmpty)
    }

    @Test("delete leaves no fuse-overlayfs mount or process behind, even after the container's monitor was killed")
    func deleteAfterMonitorKilled() throws {
        let area = try Fixture.Area(rootless: "berth-test")
        defer { area.remove() }
        try makeOverlay(area)
        try area.setArgs(["sleep", "60"])
        for id in ["fusedetached", "fuseorphan"] {
            let run = try berth(area, ["run", "--detach", "--bundle", area.bundle, id])
            try #require(run.status == 0, "\(run.stderr)")
            #expect(daemons(area).count == 1, "one daemon serves the running container")
            #expect(FileManager.default.fileExists(atPath: area.stateRoot + "/\(id)/fuse-overlayfs.pid"))
            if id == "fuseorphan" {
                let state = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: area.stateRoot + "/\(id)/state.json"))) as? [String: Any]
                let monitor = try #require(state?["monitorPid"] as? Int)
                kill(pid_t(monitor), SIGKILL)
            }
            let delete = try berth(area, ["delete", "--force", id])
            #expect(delete.status == 0, "\(delete.stderr)")
            #expect(daemons(area).isEmpty, "\(id): delete ends the daemon")
            #expect(hostMounts(area).isEmpty, "\(id): no mount on the host")
        }
        #expect(area.stateEntries.isEmpty)
    }

    @Test("an unknown BERTH_OVERLAY is refused, naming the variable, and leaves nothing behind")
    func unknownDriver() throws {
        let area = try Fixture.Area(rootless: "berth-test")
        defer { area.remove() }
        try makeOverlay(area)
        try area.setArgs(["true"])
        let result = try berth(area, ["run", "--bundle", area.bundle, "bogus"], overlay: "zfs")
        #expect(result.status != 0)
        #expect(result.stderr.contains("BERTH_OVERLAY") && result.stderr.contains("\"zfs\""), "\(result.stderr)")
        #expect(area.stateEntries.isEmpty)
    }
}

extension Fixture {
    /// Why rootless fuse-overlayfs cannot run here, or nil.
    static let fuseUnavailableReason: String? = {
        if let reason = Fixture.rootlessUnavailableReason { return reason }
        if !FileManager.default.isExecutableFile(atPath: "/usr/bin/fuse-overlayfs") { return "fuse-overlayfs is not installed (see .ci/deps)" }
        // The daemon opens /dev/fuse as the container's root, which is the unprivileged user.
        let fd = open("/dev/fuse", O_RDWR)
        if fd < 0 { return "/dev/fuse cannot be opened (\(String(cString: strerror(errno)))): the kernel has no fuse" }
        close(fd)
        var info = stat()
        if stat("/dev/fuse", &info) == 0 && info.st_mode & 0o006 != 0o006 {
            return "/dev/fuse is not readable and writable by other users (mode \(String(info.st_mode & 0o777, radix: 8)); .ci/deps makes it 0666)"
        }
        return nil
    }()
}
