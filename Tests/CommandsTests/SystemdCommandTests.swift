import Foundation
import SystemdUnits
import Testing

/// `berth systemd` through the built binary. Units go to temporary directories
/// (`--files`, or `--install` with BERTH_SYSTEMD_UNIT_DIR); where systemd must answer, a
/// recording `systemctl` stands in for it (BERTH_SYSTEMCTL).
@Suite struct SystemdCommandTests {
    /// sd_booted(3): this host's init is systemd.
    static let systemdRuns = FileManager.default.fileExists(atPath: "/run/systemd/system")

    /// The built berth with its symlinks resolved, as the unit names it (/proc/self/exe).
    static let berth = URL(fileURLWithPath: BerthBinary.path).resolvingSymlinksInPath().path

    static let stack = """
        name: shop
        services:
          db:
            image: busybox
            healthcheck: {test: ["CMD", "true"], interval: 1s, retries: 5}
          api:
            image: busybox
            restart: on-failure:3
            depends_on: {db: {condition: service_healthy}}
          web:
            image: busybox
            restart: unless-stopped
            depends_on: [api]
        """

    /// A project directory holding `compose`, and an empty directory for units.
    static func project(_ compose: String = stack, directoryName: String = "shop") throws -> (project: String, units: String) {
        let root = try temporaryDirectory([:])
        let project = root + "/" + directoryName
        try FileManager.default.createDirectory(atPath: project, withIntermediateDirectories: true)
        try Data(compose.utf8).write(to: URL(fileURLWithPath: project + "/compose.yaml"))
        return (project, root + "/units")
    }

    static func lines(_ text: String) -> [String] {
        text.split(separator: "\n").map(String.init)
    }

    @Test("berth systemd prints the project unit to stdout, running this berth with the project pinned")
    func printsToStdout() throws {
        let (project, _) = try Self.project()
        let result = try BerthBinary.run(["systemd", "--system"], in: project)
        #expect(result.status == 0, "\(result.stderr)")
        let unit = try UnitFile(parsing: result.stdout)
        #expect(unit[section: "Service"]?.values("ExecStart") == [
            "\(Self.berth) --project-name shop --project-directory \(project) --file \(project)/compose.yaml supervise"])
        #expect(unit[section: "Install"]?.values("WantedBy") == ["multi-user.target"])
        #expect(!result.stderr.contains("loginctl"), "system units need no linger hint: \(result.stderr)")
    }

    @Test("--per-service prints the target and one unit per service; --user hints at lingering")
    func printsPerService() throws {
        let (project, _) = try Self.project()
        let result = try BerthBinary.run(["-f", "compose.yaml", "systemd", "generate", "--per-service", "--user"], in: project)
        #expect(result.status == 0, "\(result.stderr)")
        let headers = Self.lines(result.stdout).filter { $0.hasPrefix("### ") }
        #expect(headers == ["### berth-shop.target", "### berth-shop-network-services.service", "### berth-shop-db.service",
                            "### berth-shop-api.service", "### berth-shop-web.service"])
        #expect(result.stdout.contains("WantedBy=default.target"))
        if !FileManager.default.fileExists(atPath: "/var/lib/systemd/linger/\(ProcessInfo.processInfo.userName)") {
            #expect(result.stderr.contains("loginctl enable-linger"), "\(result.stderr)")
        }
    }

    @Test("--per-service with profiles: a unit for each service the profiles enable, every command line pinning them, from --profile or COMPOSE_PROFILES", arguments: [
        (["--profile", "debug"], [String: String]()),
        ([], ["COMPOSE_PROFILES": "debug"]),
    ])
    func perServiceWithProfiles(flags: [String], environment: [String: String]) throws {
        let result = try BerthBinary.run(flags + ["systemd", "--per-service", "--system"], in: repositoryRoot + "/Examples/profiles",
                                         environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        let headers = Self.lines(result.stdout).filter { $0.hasPrefix("### ") }
        #expect(headers == ["### berth-profiles.target", "### berth-profiles-network-services.service", "### berth-profiles-app.service",
                            "### berth-profiles-debug.service"], "migrate's profiles are not enabled")
        let commands = Self.lines(result.stdout).filter { $0.hasPrefix("Exec") }
        #expect(commands.count == 7, "\(commands)")
        #expect(commands.allSatisfy { $0.contains(" --profile debug ") }, "\(commands)")
        #expect(result.stdout.contains("Wants=berth-profiles-debug.service"))
    }

    @Test("--files writes the units, a re-run says unchanged, a compose change rewrites only what changed")
    func filesAreRewrittenOnlyWhenChanged() throws {
        let (project, units) = try Self.project()
        let generate = ["systemd", "generate", "--per-service", "--files", units]
        let first = try BerthBinary.run(generate, in: project)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(Self.lines(first.stdout) == ["berth-shop-api.service", "berth-shop-db.service", "berth-shop-network-services.service",
                                             "berth-shop-web.service", "berth-shop.target"]
            .map { "written \(units)/\($0)" })

        let second = try BerthBinary.run(generate, in: project)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(Self.lines(second.stdout).allSatisfy { $0.hasPrefix("unchanged ") } && Self.lines(second.stdout).count == 5, "\(second.stdout)")

        // web's restart policy changes and api goes away; web now waits for db to be healthy
        // as api did, so db's unit stays as it was.
        let changed = Self.stack
            .replacingOccurrences(of: "restart: unless-stopped\n    depends_on: [api]",
                                  with: "restart: \"no\"\n    depends_on: {db: {condition: service_healthy}}")
            .replacingOccurrences(of: "  api:\n    image: busybox\n    restart: on-failure:3\n    depends_on: {db: {condition: service_healthy}}\n", with: "")
        try Data(changed.utf8).write(to: URL(fileURLWithPath: project + "/compose.yaml"))
        let third = try BerthBinary.run(generate, in: project)
        #expect(third.status == 0, "\(third.stderr)")
        #expect(Self.lines(third.stdout) == [
            "removed \(units)/berth-shop-api.service", "unchanged \(units)/berth-shop-db.service",
            "unchanged \(units)/berth-shop-network-services.service", "written \(units)/berth-shop-web.service", "written \(units)/berth-shop.target",
        ])
        #expect(!FileManager.default.fileExists(atPath: units + "/berth-shop-api.service"))
        let web = try UnitFile(parsing: String(contentsOfFile: units + "/berth-shop-web.service", encoding: .utf8))
        #expect(web[section: "Service"]?.values("Restart") == ["no"])

        // Without the compose file, -p names the project whose units go.
        let removed = try BerthBinary.run(["systemd", "remove", "-p", "shop", "--files", units], in: "/")
        #expect(removed.status == 0, "\(removed.stderr)")
        #expect(Self.lines(removed.stdout) == ["berth-shop-db.service", "berth-shop-network-services.service", "berth-shop-web.service", "berth-shop.target"]
            .map { "removed \(units)/\($0)" })
        #expect(try FileManager.default.contentsOfDirectory(atPath: units) == [])
    }

    @Test("variables the files take from this shell, which systemd will not pass, are named in a warning")
    func warnsAboutShellVariables() throws {
        let (project, _) = try Self.project("""
            services:
              db:
                image: busybox
                environment: {PASSWORD: "${DB_PASSWORD}", LITERAL: "$$NOT_A_VARIABLE", PORT: "${PORT:-5432}"}
            """)
        let fromShell = try BerthBinary.run(["systemd"], in: project, environment: ["DB_PASSWORD": "secret", "NOT_A_VARIABLE": "x"])
        #expect(fromShell.status == 0, "\(fromShell.stderr)")
        #expect(fromShell.stderr.contains("warning: the compose files use DB_PASSWORD from this shell, which the unit will not have"),
                "\(fromShell.stderr)")

        try Data("DB_PASSWORD=secret\n".utf8).write(to: URL(fileURLWithPath: project + "/.env"))
        let pinned = try BerthBinary.run(["systemd"], in: project, environment: ["DB_PASSWORD": "secret"])
        #expect(pinned.status == 0, "\(pinned.stderr)")
        #expect(!pinned.stderr.contains("warning:"), "the value is in .env, which the unit reads: \(pinned.stderr)")

        let overridden = try BerthBinary.run(["systemd"], in: project, environment: ["DB_PASSWORD": "other"])
        #expect(overridden.stderr.contains("use DB_PASSWORD from this shell"), "the shell overrides .env: \(overridden.stderr)")
    }

    @Test("a temporary file left by a killed berth is cleaned up by the next run")
    func leftoversAreCleaned() throws {
        let (project, units) = try Self.project()
        try FileManager.default.createDirectory(atPath: units, withIntermediateDirectories: true)
        try Data("[Unit\n".utf8).write(to: URL(fileURLWithPath: units + "/.berth-shop.service.berth-tmp"))
        let result = try BerthBinary.run(["systemd", "--files", units], in: project)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: units) == ["berth-shop.service"])
    }

    @Test("--install writes where BERTH_SYSTEMD_UNIT_DIR says and explains that systemd is not running",
          .enabled(if: !systemdRuns, "this host runs systemd: the recording-systemctl test covers it instead"))
    func installWithoutSystemd() throws {
        let (project, units) = try Self.project()
        let result = try BerthBinary.run(["systemd", "generate", "--install"], in: project,
                                         environment: ["BERTH_SYSTEMD_UNIT_DIR": units])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "written \(units)/berth-shop.service\n")
        #expect(result.stderr.contains("systemd is not running here"), "\(result.stderr)")
        #expect(result.stderr.contains("units written to \(units)"), "\(result.stderr)")
        #expect(result.stderr.contains("daemon-reload` when systemd runs"), "\(result.stderr)")
        #expect(FileManager.default.fileExists(atPath: units + "/berth-shop.service"))

        let removed = try BerthBinary.run(["systemd", "remove"], in: project, environment: ["BERTH_SYSTEMD_UNIT_DIR": units])
        #expect(removed.status == 0, "\(removed.stderr)")
        #expect(removed.stdout == "removed \(units)/berth-shop.service\n")
        #expect(!FileManager.default.fileExists(atPath: units + "/berth-shop.service"))
    }

    @Test("--enable and --now without systemd write the units, then fail saying why",
          .enabled(if: !systemdRuns, "this host runs systemd, so enabling would succeed"),
          arguments: [["--enable"], ["--now"], ["--enable", "--now"]])
    func enableWithoutSystemd(_ flags: [String]) throws {
        let (project, units) = try Self.project()
        let result = try BerthBinary.run(["systemd", "generate", "--user"] + flags, in: project,
                                         environment: ["BERTH_SYSTEMD_UNIT_DIR": units])
        #expect(result.status == 1, "\(result.stderr)")
        let error = Self.lines(result.stderr).filter { $0.hasPrefix("error: ") }
        #expect(error.count == 1 && error[0].contains("berth-shop.service: systemd is not running here"), "\(result.stderr)")
        #expect(result.stderr.contains("systemctl --user enable --now berth-shop.service"), "\(result.stderr)")
        #expect(FileManager.default.fileExists(atPath: units + "/berth-shop.service"))
    }

    @Test("with systemd, install reloads and enables, a re-run reloads only a stale manager, remove disables and reloads")
    func installEnableRemoveWithSystemctl() throws {
        let (project, units) = try Self.project()
        let root = (units as NSString).deletingLastPathComponent
        let log = root + "/systemctl.log"
        let fake = root + "/systemctl"
        // It answers `show` with $FAKE_NEED_RELOAD, as systemd answers NeedDaemonReload.
        try Data("#!/bin/sh\necho \"$*\" >> '\(log)'\ncase \"$*\" in *show*) echo \"${FAKE_NEED_RELOAD:-no}\";; esac\n".utf8)
            .write(to: URL(fileURLWithPath: fake))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fake)
        let environment = ["BERTH_SYSTEMD_UNIT_DIR": units, "BERTH_SYSTEMCTL": fake]
        func calls() throws -> [String] {
            defer { try? FileManager.default.removeItem(atPath: log) }
            return Self.lines((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
        }

        let install = ["systemd", "generate", "--per-service", "--user", "--enable", "--now"]
        let first = try BerthBinary.run(install, in: project, environment: environment)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(try calls() == ["--user daemon-reload", "--user enable --now berth-shop.target"])

        let names = "berth-shop.target berth-shop-network-services.service berth-shop-db.service berth-shop-api.service berth-shop-web.service"
        let again = try BerthBinary.run(install, in: project, environment: environment)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try calls() == ["--user show --property=NeedDaemonReload --value \(names)", "--user enable --now berth-shop.target"])

        // As after a berth killed between writing the units and reloading: unchanged files, stale manager.
        let stale = try BerthBinary.run(install, in: project, environment: environment.merging(["FAKE_NEED_RELOAD": "yes"]) { $1 })
        #expect(stale.status == 0, "\(stale.stderr)")
        #expect(try calls() == ["--user show --property=NeedDaemonReload --value \(names)", "--user daemon-reload",
                                "--user enable --now berth-shop.target"])

        // Switching layouts stops and disables the per-service units before deleting them.
        let single = try BerthBinary.run(["systemd", "generate", "--user", "--install"], in: project, environment: environment)
        #expect(single.status == 0, "\(single.stderr)")
        #expect(try calls() == ["--user disable --now berth-shop-api.service berth-shop-db.service berth-shop-network-services.service berth-shop-web.service berth-shop.target",
                                "--user daemon-reload"])

        let removed = try BerthBinary.run(["systemd", "remove", "--user", "--now"], in: project, environment: environment)
        #expect(removed.status == 0, "\(removed.stderr)")
        #expect(try calls() == ["--user disable --now berth-shop.service", "--user daemon-reload"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: units) == [])

        // Again, as after a berth killed between deleting and reloading: the reload still happens.
        let removedAgain = try BerthBinary.run(["systemd", "remove", "--user"], in: project, environment: environment)
        #expect(removedAgain.status == 0, "\(removedAgain.stderr)")
        #expect(removedAgain.stdout.hasPrefix("nothing to remove"))
        #expect(try calls() == ["--user daemon-reload"])
    }

    @Test("berth never replaces or removes a unit it did not generate for the project")
    func leavesOtherUnitsAlone() throws {
        let (project, units) = try Self.project()
        try FileManager.default.createDirectory(atPath: units, withIntermediateDirectories: true)
        let handWritten = "[Service]\nExecStart=/bin/true\n"
        try Data(handWritten.utf8).write(to: URL(fileURLWithPath: units + "/berth-shop.service"))
        let other = UnitGenerator.header(for: "shop-db") + "\n[Service]\nExecStart=/bin/true\n"
        try Data(other.utf8).write(to: URL(fileURLWithPath: units + "/berth-shop-db.service"))

        let refused = try BerthBinary.run(["systemd", "--files", units], in: project)
        #expect(refused.status == 1)
        #expect(refused.stderr == "error: refusing to replace \(units)/berth-shop.service: berth did not generate it; move it away, or name this project differently with -p\n")
        let clash = try BerthBinary.run(["systemd", "--per-service", "--files", units], in: project)
        #expect(clash.status == 1)
        #expect(clash.stderr.contains("\(units)/berth-shop-db.service: it was generated for project shop-db"), "\(clash.stderr)")
        #expect(!FileManager.default.fileExists(atPath: units + "/berth-shop.target"), "nothing is written when one unit is refused")

        let nothing = try BerthBinary.run(["systemd", "remove", "-p", "shop", "--files", units], in: "/")
        #expect(nothing.status == 0, "\(nothing.stderr)")
        #expect(nothing.stdout == "nothing to remove: no unit in \(units) was generated for project shop\n")
        #expect(try String(contentsOfFile: units + "/berth-shop.service", encoding: .utf8) == handWritten)
        #expect(try String(contentsOfFile: units + "/berth-shop-db.service", encoding: .utf8) == other)
    }

    @Test("bad invocations fail with one clear line", arguments: [
        (["systemd", "--files", "x", "--install"], "--files writes units for you to install"),
        (["systemd", "remove", "--files", "x", "--now"], "--now acts on installed units"),
        (["systemd", "remove", "-p", "Bad Name"], "invalid project name \"Bad Name\""),
        (["systemd", "--user", "--system"], "--user"),
        (["-f", "-", "systemd"], "standard input"),
    ])
    func badInvocations(_ arguments: [String], _ message: String) throws {
        let (project, _) = try Self.project()
        let result = try BerthBinary.run(arguments, in: project, stdin: Data(Self.stack.utf8))
        #expect(result.status != 0 && result.status < 128)
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test("units naming the built berth pass systemd-analyze verify: every example and odd names, both layouts and scopes")
    func verifies() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze") else {
            Issue.record("systemd-analyze is missing: install Debian's systemd package (.ci/deps does)")
            return
        }
        let (odd, _) = try Self.project("""
            name: my-odd-project
            services:
              my_svc.v2:
                image: busybox
                depends_on: {db-main: {condition: service_healthy}}
              db-main:
                image: busybox
                healthcheck: {test: ["CMD", "true"]}
            """, directoryName: "dir with spaces")
        let projects: [(arguments: [String], directory: String)] = [
            (["-f", "Examples/webapp/compose.yaml"], repositoryRoot),
            (["--project-directory", "Examples/multi-file"], repositoryRoot),
            (["-f", "Examples/multi-file/compose.yaml", "-f", "Examples/multi-file/compose.prod.yaml", "-p", "prod"], repositoryRoot),
            (["-f", "Examples/profiles/compose.yaml", "--profile", "debug"], repositoryRoot),
            ([], odd),
        ]
        // A user manager's verify needs a runtime directory, which a test has to provide.
        let runtime = try temporaryDirectory([:])
        defer { try? FileManager.default.removeItem(atPath: runtime) }
        for (arguments, directory) in projects {
            for (layout, scope) in [[], ["--per-service"]].flatMap({ layout in ["--system", "--user"].map { (layout, $0) } }) {
                let units = try temporaryDirectory([:])
                defer { try? FileManager.default.removeItem(atPath: units) }
                let result = try BerthBinary.run(arguments + ["systemd", scope, "--files", units] + layout, in: directory,
                                                 environment: ["HOME": "/home/user"])
                #expect(result.status == 0, "\(arguments) \(layout) \(scope): \(result.stderr)")
                let names = try FileManager.default.contentsOfDirectory(atPath: units).sorted()
                #expect(!names.isEmpty)
                let verify = Process()
                verify.executableURL = URL(fileURLWithPath: "/usr/bin/systemd-analyze")
                verify.arguments = (scope == "--user" ? ["--user"] : []) + ["verify", "--man=no"] + names.map { units + "/" + $0 }
                verify.environment = ProcessInfo.processInfo.environment.merging(["XDG_RUNTIME_DIR": runtime]) { $1 }
                let output = Pipe()
                verify.standardOutput = output
                verify.standardError = output
                try verify.run()
                let report = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                verify.waitUntilExit()
                let problems = Self.lines(report).filter { line in names.contains { line.contains($0) } }
                #expect(verify.terminationStatus == 0 && problems.isEmpty, "\(arguments) \(layout) \(scope): \(report)")
            }
        }
    }
}
