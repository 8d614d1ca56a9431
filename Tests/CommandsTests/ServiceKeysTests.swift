import Foundation
import Testing

/// Secrets and configs as files, `volumes_from` and `privileged`, through the real binary on
/// busybox containers, as root; `RootlessServiceKeysTests` runs the same stack as `berth-test`.
@Suite("service keys through the binary", .enabled(if: ContainerFixture.unavailableReason == nil, "\(ContainerFixture.unavailableReason ?? "")"))
struct ServiceKeysTests {
    /// Everything the tests look at in one project, so one `up` serves several checks.
    static let stack = """
        secrets:
          from_file: {file: ./token.txt}
          from_env: {environment: BERTH_TEST_SECRET}
          inline: {content: "inline-secret"}
        configs:
          app_conf: {file: ./app.conf}
          greeting: {content: "hello config"}
        volumes:
          shared: {}
        services:
          app:
            image: IMAGE
            command: \(CommandStack.loop)
            secrets:
              - from_file
              - from_env
              - {source: inline, target: custom, uid: "1000", gid: "1001", mode: 0400}
            configs:
              - {source: app_conf, target: /etc/app.conf, mode: 0440}
              - greeting
          writer:
            image: IMAGE
            command: ["sh", "-c", "echo from-writer > /data/note; echo cached > /cache/note; echo bound > /bound/note; trap 'exit 0' TERM; while true; do busybox sleep 1 & wait; done"]
            volumes: [shared:/data, /cache, ./bound:/bound]
          reader:
            image: IMAGE
            command: \(CommandStack.loop)
            volumes_from: [writer]
          readonly:
            image: IMAGE
            command: \(CommandStack.loop)
            volumes_from: ["writer:ro"]
          priv:
            image: IMAGE
            privileged: true
            command: \(CommandStack.loop)
        """

    static func prepare(_ directory: String) throws {
        try Data("file-secret\n".utf8).write(to: URL(fileURLWithPath: directory + "/token.txt"))
        try Data("listen=80\n".utf8).write(to: URL(fileURLWithPath: directory + "/app.conf"))
        try Data("BERTH_TEST_SECRET=env-secret\n".utf8).write(to: URL(fileURLWithPath: directory + "/.env"))
    }

    /// What `exec -T SERVICE ARGS…` prints, failing the test on a non-zero exit.
    static func output(_ run: ([String]) throws -> (status: Int32, stdout: String, stderr: String), _ service: String,
                       _ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let result = try run(["exec", "-T", service] + arguments)
        #expect(result.status == 0, "exec \(service) \(arguments): \(result.stderr)", sourceLocation: sourceLocation)
        return result.stdout
    }

    /// The checks both halves make once the stack is up.
    static func checkStack(_ run: ([String]) throws -> (status: Int32, stdout: String, stderr: String), rootless: Bool) throws {
        // Secrets and configs: content, owner and mode as seen inside, never in the environment.
        #expect(try output(run, "app", ["cat", "/run/secrets/from_file"]) == "file-secret\n")
        #expect(try output(run, "app", ["cat", "/run/secrets/from_env"]) == "env-secret")
        #expect(try output(run, "app", ["cat", "/run/secrets/custom"]) == "inline-secret")
        #expect(try output(run, "app", ["cat", "/etc/app.conf"]) == "listen=80\n")
        #expect(try output(run, "app", ["cat", "/greeting"]) == "hello config")
        let owners = try output(run, "app", ["busybox", "stat", "-c", "%n %u %g %a",
                                             "/run/secrets/from_file", "/run/secrets/custom", "/etc/app.conf", "/greeting"])
        #expect(owners == "/run/secrets/from_file 0 0 444\n/run/secrets/custom 1000 1001 400\n/etc/app.conf 0 0 440\n/greeting 0 0 444\n")
        let environment = try output(run, "app", ["busybox", "env"])
        for secret in ["file-secret", "env-secret", "inline-secret"] { #expect(!environment.contains(secret), "\(environment)") }
        let write = try run(["exec", "-T", "app", "sh", "-c", "echo x > /run/secrets/from_file"])
        #expect(write.status != 0, "a secret is read-only")

        // volumes_from: a named volume, an anonymous one and a bind, written by one, read by another.
        var seen = ""
        for _ in 0..<100 {
            seen = try run(["exec", "-T", "reader", "sh", "-c", "cat /data/note /cache/note /bound/note"]).stdout
            if seen == "from-writer\ncached\nbound\n" { break }
            usleep(100_000)
        }
        #expect(seen == "from-writer\ncached\nbound\n")
        #expect(try output(run, "reader", ["sh", "-c", "echo back > /data/reply && cat /data/reply"]) == "back\n")
        #expect(try output(run, "writer", ["cat", "/data/reply"]) == "back\n", "the same volume, not a copy")
        let readOnly = try run(["exec", "-T", "readonly", "sh", "-c", "cat /data/note && echo y > /data/other"])
        #expect(readOnly.stdout == "from-writer\n")
        #expect(readOnly.status != 0, ":ro mounts the volumes read-only")

        // privileged: every capability, no seccomp filter, /proc/kcore not masked.
        let status = try output(run, "priv", ["cat", "/proc/self/status"])
        let effective = field("CapEff", status), bounding = field("CapBnd", status)
        #expect(effective != nil && effective == bounding, "\(status)")
        // Rootful, every capability the host's root holds (VMs may lack CAP_SYS_RESOURCE);
        // rootless, every one inside the container's user namespace.
        let expected = rootless ? "000001ffffffffff" : field("CapBnd", (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? "")
        #expect(effective == expected, "\(status)")
        #expect(field("Seccomp", status) == "0", "\(status)")
        // /proc/kcore where the kernel has it, else another path masked by default.
        let masked = ["/proc/kcore", "/proc/timer_list", "/proc/keys"].first { FileManager.default.fileExists(atPath: $0) } ?? "/proc/keys"
        #expect(try output(run, "priv", ["busybox", "stat", "-c", "%F", masked]).hasPrefix("regular"), "\(masked) is not masked")
        let plain = try output(run, "app", ["cat", "/proc/self/status"])
        #expect(field("CapEff", plain) == "00000000800405fb" && field("Seccomp", plain) == "2", "\(plain)")
        #expect(try output(run, "app", ["busybox", "stat", "-c", "%F", masked]) == "character special file\n", "masked with /dev/null")
        if !rootless {
            #expect(try output(run, "priv", ["sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward && echo written"]) == "written\n",
                    "/proc/sys is writable")
            // A host device beyond the defaults every container has.
            if let device = ["/dev/fuse", "/dev/loop-control", "/dev/net/tun", "/dev/kvm"].first(where: { FileManager.default.fileExists(atPath: $0) }) {
                #expect(try output(run, "priv", ["sh", "-c", "[ -c \(device) ] && echo device"]) == "device\n", "\(device)")
                #expect(try run(["exec", "-T", "app", "sh", "-c", "[ -c \(device) ]"]).status != 0, "\(device) only when privileged")
            }
        }
    }

    /// The value of `Name:` in a /proc status file.
    static func field(_ name: String, _ status: String) -> String? {
        status.split(separator: "\n").first { $0.hasPrefix(name + ":") }
            .map { $0.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces) }
    }

    @Test("secrets and configs are read-only files with their owner and mode, volumes_from shares volumes, privileged has every capability")
    func stack() throws {
        let stack = try CommandStack(Self.stack)
        try Self.prepare(stack.directory)
        let up = try stack.run(["up", "-d"])
        #expect(up.status == 0, "\(up.stderr)")
        try Self.checkStack({ let r = try stack.run($0); return (r.status, r.stdout, r.stderr) }, rootless: false)

        // A new writer container takes its readers with it (they would hold its old mounts).
        let before = try ServiceKeysTests.ids(stack)
        let compose = stack.directory + "/compose.yaml"
        let changed = try String(contentsOfFile: compose, encoding: .utf8)
            .replacingOccurrences(of: "volumes: [shared:/data, /cache, ./bound:/bound]\n",
                                  with: "volumes: [shared:/data, /cache, ./bound:/bound]\n    environment: {CHANGED: \"1\"}\n")
        try Data(changed.utf8).write(to: URL(fileURLWithPath: compose))
        let recreate = try stack.run(["up", "-d"])
        #expect(recreate.status == 0, "\(recreate.stderr)")
        let after = try ServiceKeysTests.ids(stack)
        #expect(after["reader"] != before["reader"] && after["readonly"] != before["readonly"] && after["app"] == before["app"])
        #expect(try Self.output({ let r = try stack.run($0); return (r.status, r.stdout, r.stderr) }, "reader", ["cat", "/data/reply"]) == "back\n")

        // Host side: each container's copies sit in a directory only its owner can enter.
        let containers = stack.directory + "/data/containers"
        let files = try FileManager.default.contentsOfDirectory(atPath: containers).map { containers + "/" + $0 + "/files" }
            .filter { FileManager.default.fileExists(atPath: $0) }
        #expect(files.count == 1)
        for directory in files {
            let mode = try FileManager.default.attributesOfItem(atPath: directory)[.posixPermissions] as? Int
            #expect(mode == 0o700)
        }
    }

    @Test("a changed secret file recreates the services that mount it, and only them; the new content is mounted")
    func changedSecret() throws {
        let stack = try CommandStack(Self.stack)
        try Self.prepare(stack.directory)
        #expect(try stack.run(["up", "-d", "app", "priv"]).status == 0)
        let before = try Self.ids(stack)
        try Data("rotated\n".utf8).write(to: URL(fileURLWithPath: stack.directory + "/token.txt"))
        let dryRun = try stack.run(["up", "-d", "--dry-run", "app", "priv"])
        #expect(dryRun.stdout.contains("secrets content changed"), "\(dryRun.stdout)")
        let up = try stack.run(["up", "-d", "app", "priv"])
        #expect(up.status == 0, "\(up.stderr)")
        let after = try Self.ids(stack)
        #expect(after["app"] != nil && after["app"] != before["app"], "app mounts the secret: recreated")
        #expect(after["priv"] != nil && after["priv"] == before["priv"], "priv does not: kept")
        #expect(try stack.run(["exec", "-T", "app", "cat", "/run/secrets/from_file"]).stdout == "rotated\n")
        let unchanged = try stack.run(["up", "-d", "app", "priv"])
        #expect(unchanged.stdout == "nothing to do\n", "\(unchanged.stdout)")
    }

    /// Container id by service, from `ps -a --format json`.
    static func ids(_ stack: CommandStack) throws -> [String: String] {
        var ids: [String: String] = [:]
        for line in try stack.run(["ps", "-a", "--format", "json"]).stdout.split(separator: "\n") {
            guard let row = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let service = row["Service"] as? String, let id = row["ID"] as? String else { continue }
            ids[service] = id
        }
        return ids
    }

    @Test("an external secret, a missing secret file and a non-numeric uid are refused naming the secret; nothing is left running")
    func refused() throws {
        let cases = [
            ("secrets: {s: {external: true}}\n", "external secrets and configs need a swarm"),
            ("secrets: {s: {file: ./missing.txt}}\n", "secret s: file"),
        ]
        for (definition, message) in cases {
            let stack = try CommandStack(definition + """
                services:
                  app:
                    image: IMAGE
                    command: \(CommandStack.loop)
                    secrets: [s]
                """)
            let up = try stack.run(["up", "-d"])
            #expect(up.status != 0)
            #expect(up.stderr.contains(message) && up.stderr.contains("s"), "\(up.stderr)")
            #expect(try stack.run(["ps", "-a", "-q"]).stdout.isEmpty)
        }
        let stack = try CommandStack("""
            secrets: {s: {content: x}}
            services:
              app:
                image: IMAGE
                command: \(CommandStack.loop)
                secrets: [{source: s, uid: nobody}]
            """)
        let up = try stack.run(["up", "-d"])
        #expect(up.status != 0 && up.stderr.contains("uid \"nobody\" must be a number"), "\(up.stderr)")
    }
}

/// The same stack as `berth-test`: owners as seen inside the user namespace, capabilities full
/// inside it.
@Suite("service keys rootless", .enabled(if: RootlessCLI.unavailableReason == nil, "\(RootlessCLI.unavailableReason ?? "")"))
struct RootlessServiceKeysTests {
    @Test("as an unprivileged user: secrets with uid/gid/mode, volumes_from and privileged through the binary")
    func rootless() throws {
        let user = try RootlessCLI()
        let yaml = "name: \(user.project)\n" + ServiceKeysTests.stack.replacingOccurrences(of: "IMAGE", with: "oci:\(user.area)/busybox")
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: user.area + "/compose.yaml"))
        try ServiceKeysTests.prepare(user.area)
        #expect(try RootlessCLI.exec(["/bin/chown", "-R", RootlessCLI.user, user.area]) == 0)
        let up = try user.run(["up", "-d"])
        #expect(up.status == 0, "\(up.stderr)")
        try ServiceKeysTests.checkStack({ let r = try user.run($0); return (r.status, r.stdout, r.stderr) }, rootless: true)
        let down = try user.run(["down", "-v", "-t", "1"])
        #expect(down.status == 0, "\(down.stderr)")
        let left = (try? FileManager.default.contentsOfDirectory(atPath: user.area + "/data/containers")) ?? []
        #expect(left.isEmpty, "down removes each container's files, the subordinate-owned secret too: \(left)")
    }
}

@Suite("volumes filled from the image", .enabled(if: ContainerFixture.unavailableReason == nil, "\(ContainerFixture.unavailableReason ?? "")"))
struct VolumeFillTests {
    @Test("an empty named or anonymous volume gets the image's files at its target on first use; nocopy leaves it empty")
    func filled() throws {
        let multilayer = "oci:\(ContainerFixture.images ?? "/nonexistent")/multilayer"
        let stack = try CommandStack("""
            volumes:
              filled: {}
              empty: {}
            services:
              app:
                image: \(multilayer)
                command: \(CommandStack.loop)
                volumes:
                  - filled:/data
                  - /var/cache
              bare:
                image: \(multilayer)
                command: \(CommandStack.loop)
                volumes:
                  - {type: volume, source: empty, target: /data, volume: {nocopy: true}}
            """)
        let up = try stack.run(["up", "-d"])
        #expect(up.status == 0, "\(up.stderr)")
        let seen = try stack.run(["exec", "-T", "app", "sh", "-c", "cat /data/a /data/b /var/cache/new"])
        #expect(seen.stdout == "linked\nlinked\nfresh\n", "\(seen.stdout) \(seen.stderr)")
        #expect(try stack.run(["exec", "-T", "bare", "ls", "/data"]).stdout == "", "nocopy")
        #expect(try stack.run(["exec", "-T", "app", "ls", "/var/cache"]).stdout == "new\n", "the whited-out directory's old files are not copied")
    }
}

/// The audit of issue 6's process keys (Sources/Engine/README.md): one stack whose services set
/// them, each checked from inside its container.
@Suite("process keys through the binary", .enabled(if: ContainerFixture.unavailableReason == nil, "\(ContainerFixture.unavailableReason ?? "")"))
struct ProcessKeysTests {
    @Test("entrypoint, environment, env_file, working_dir, hostname, domainname, caps, read_only, tmpfs, ulimits, sysctls, shm_size, init, oom_score_adj, user, group_add, pid, ipc and devices reach the container")
    func processKeys() throws {
        let stack = try CommandStack("""
            services:
              base:
                image: IMAGE
                command: ["sh", "-c", "echo base-marker > /dev/null; trap 'exit 0' TERM; while true; do busybox sleep 1 & wait; done"]
                ipc: shareable
              probe:
                image: IMAGE
                entrypoint: ["sh", "-c"]
                command: ["trap 'exit 0' TERM; while true; do busybox sleep 1 & wait; done"]
                environment: {GREETING: hi}
                env_file: [probe.env]
                working_dir: /tmp
                hostname: probe-host
                domainname: example.org
                cap_drop: [ALL]
                cap_add: [NET_RAW]
                read_only: true
                tmpfs: ["/tmp:size=1m,mode=1770"]
                ulimits: {nofile: {soft: 123, hard: 456}}
                sysctls: {net.core.somaxconn: "1234"}
                shm_size: 2m
                init: true
                oom_score_adj: 500
                devices: ["/dev/null:/dev/other-null"]
              user:
                image: IMAGE
                command: \(CommandStack.loop)
                user: "1000:1000"
                group_add: ["10"]
              sidecar:
                image: IMAGE
                command: \(CommandStack.loop)
                pid: service:base
                ipc: service:base
            """)
        try Data("FROM_FILE=yes\n".utf8).write(to: URL(fileURLWithPath: stack.directory + "/probe.env"))
        let up = try stack.run(["up", "-d"])
        #expect(up.status == 0, "\(up.stderr)")
        func exec(_ service: String, _ script: String) throws -> String {
            let result = try stack.run(["exec", "-T", service, "sh", "-c", script])
            #expect(result.status == 0, "\(service): \(script): \(result.stderr)")
            return result.stdout
        }
        #expect(try exec("probe", "echo $GREETING $FROM_FILE; pwd; busybox hostname; cat /proc/sys/kernel/domainname") == "hi yes\n/tmp\nprobe-host\nexample.org\n")
        #expect(try exec("probe", "busybox grep CapEff /proc/self/status") == "CapEff:\t0000000000002000\n")
        #expect(try stack.run(["exec", "-T", "probe", "sh", "-c", "echo x > /written"]).status != 0, "read_only root")
        let mounts = try exec("probe", "busybox grep -E ' /tmp | /dev/shm ' /proc/mounts")
        #expect(mounts.contains("/tmp tmpfs") && mounts.contains("size=1024k") && mounts.contains("mode=1770"), "\(mounts)")
        #expect(mounts.contains("/dev/shm tmpfs") && mounts.contains("size=2048k"), "\(mounts)")
        #expect(try exec("probe", "ulimit -n; ulimit -Hn; cat /proc/sys/net/core/somaxconn") == "123\n456\n1234\n")
        #expect(try exec("probe", "echo > /dev/other-null && echo ok") == "ok\n")
        #expect(try !exec("probe", "cat /proc/1/cmdline").hasPrefix("sh"), "init: PID 1 is the runtime's init, not the entrypoint")
        #expect(try exec("probe", "cat /proc/1/oom_score_adj") == "500\n")
        #expect(try exec("user", "busybox id -u; busybox id -G") == "1000\n1000 10\n")
        #expect(try exec("sidecar", "cat /proc/1/cmdline").contains("base-marker"), "pid: service:base")
        #expect(try exec("sidecar", "busybox readlink /proc/self/ns/ipc") == exec("base", "busybox readlink /proc/self/ns/ipc"))
    }
}
