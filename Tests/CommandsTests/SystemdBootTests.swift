import Foundation
import SystemdUnits
import Testing
@testable import Commands
@testable import Engine

/// What systemd does at boot and with per-service units, simulated by hand as in
/// `SystemdUnitRunTests`: the generated units' `ExecStart=`/`ExecStop=` run with a
/// `NOTIFY_SOCKET` listener. Real busybox containers, as root.
@Suite("generated units at boot and per service", .serialized,
       .enabled(if: ContainerFixture.unavailableReason == nil, "\(ContainerFixture.unavailableReason ?? "")"))
struct SystemdBootTests {
    typealias Project = SupervisorCLITests.Project
    typealias Run = SystemdUnitRunTests
    static let image = SupervisorCLITests.image
    static let loop = SupervisorCLITests.loop

    /// A unit's main process, started with a listener of its own; killed when the test ends.
    final class MainProcess {
        let process: Process
        let listener: NotifyListener

        init(_ unit: UnitFile?, in project: Project, name: String) throws {
            listener = try NotifyListener(path: project.directory + "/\(name).notify")
            process = try Run.start(Run.command(unit, "ExecStart"), of: unit, in: project, notify: listener)
        }

        deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

        /// Whether `READY=1` arrives within `seconds`; the messages until then.
        func ready(within seconds: Double) -> (Bool, [String]) {
            let messages = Run.receive(listener, until: "READY=1", seconds: seconds)
            return (messages.contains { $0.contains("READY=1") }, messages)
        }

        /// SIGTERM, as systemd stops a main process; its exit status, nil when it did not end.
        func terminate() -> Int32? {
            kill(process.processIdentifier, SIGTERM)
            return Run.ends(process, within: 15) ? process.terminationStatus : nil
        }
    }

    /// GET 127.0.0.1:`port` until the body contains `wanted` or `seconds` pass; the last body.
    static func fetch(port: Int, until wanted: String, seconds: Double) -> String? {
        var body: String?
        _ = SupervisorCLITests.eventually(seconds) {
            body = PublishedPortsTests.httpGet(port: port)
            return body?.contains(wanted) == true
        }
        return body
    }

    @Test("per-service units: the network-services unit serves DNS and published ports, so web fetches from api by service name and the host reaches web's port on 127.0.0.1")
    func perServiceNamesAndPorts() throws {
        let port = PublishedPortsTests.freePort()
        // web asks api by its service name (the network-services unit's DNS server), then serves
        // what it got on the port the host reaches (its forwarder). httpd as PID 1 ignores
        // SIGTERM: SIGKILL spares the test two grace periods.
        let fetch = "busybox mkdir -p /www; for i in $$(busybox seq 100); do busybox timeout 2 busybox wget -q -O /www/index.html "
            + "http://api:8080/index.html && break; busybox sleep 0.2; done; exec busybox httpd -f -p 8080 -h /www"
        let project = try Project("""
              api:
                image: \(Self.image)
                command: ["sh", "-c", "busybox mkdir -p /www && echo from-api > /www/index.html && exec busybox httpd -f -p 8080 -h /www"]
                stop_signal: SIGKILL
              web:
                image: \(Self.image)
                command: ["sh", "-c", "\(fetch)"]
                ports: ["127.0.0.1:\(port):8080"]
                depends_on: [api]
                stop_signal: SIGKILL
            """)
        let units = try Run.units(of: project, perService: true)
        let networkName = UnitGenerator.networkServicesUnitName(for: project.name)
        let networkUnit = try #require(units[networkName], "no \(networkName) in \(units.keys.sorted())")
        #expect(Array(try Run.command(networkUnit, "ExecStart").suffix(2)) == ["supervise", "--network-services"])
        let api = units[UnitGenerator.serviceUnitName(project: project.name, service: "api")]
        let web = units[UnitGenerator.serviceUnitName(project: project.name, service: "web")]
        for unit in [api, web] {
            #expect(unit?[section: "Unit"]?.values("Requires").contains(networkName) == true)
            #expect(unit?[section: "Unit"]?.values("After").contains(networkName) == true)
        }

        // systemd's order: the network-services unit, then api, then web, each once ready.
        let host = try MainProcess(networkUnit, in: project, name: "network")
        let (hostReady, hostMessages) = host.ready(within: 20)
        #expect(hostReady, "network-services unit: \(hostMessages)")
        let apiMain = try MainProcess(api, in: project, name: "api")
        let (apiReady, apiMessages) = apiMain.ready(within: 30)
        #expect(apiReady, "api unit: \(apiMessages)")
        let webMain = try MainProcess(web, in: project, name: "web")
        let (webReady, webMessages) = webMain.ready(within: 30)
        #expect(webReady, "web unit: \(webMessages)")

        let body = Self.fetch(port: port, until: "from-api", seconds: 30)
        #expect(body?.contains("from-api") == true, "GET 127.0.0.1:\(port): \(body ?? "nothing answered")")
        // The network-services unit holds the project supervisor's place: `ps` starts no other.
        #expect(try project.containers()["web"]?.State == "running")
        #expect(project.supervisorPID == host.process.processIdentifier)

        // Restarted while a detached project supervisor runs (`ps` starts one for running
        // containers), the network-services unit takes its place, and serves the port again.
        #expect(host.terminate() == 0)
        #expect(try project.containers()["web"]?.State == "running")
        #expect(SupervisorCLITests.eventually(5) { project.supervisorPID != nil })
        let detached = try #require(project.supervisorPID)
        let restarted = try MainProcess(networkUnit, in: project, name: "network-again")
        let (restartedReady, restartedMessages) = restarted.ready(within: 30)
        #expect(restartedReady, "network-services unit, again: \(restartedMessages)")
        #expect(SupervisorCLITests.eventually(5) { kill(detached, 0) != 0 }, "the detached supervisor \(detached) still runs")
        #expect(project.supervisorPID == restarted.process.processIdentifier)
        let again = Self.fetch(port: port, until: "from-api", seconds: 15)
        #expect(again?.contains("from-api") == true, "GET 127.0.0.1:\(port) after the take-over: \(again ?? "nothing answered")")

        // Stopping web's unit (ExecStop, then SIGTERM) takes its port away.
        #expect(try Run.run(Run.command(web, "ExecStop"), in: project) == 0)
        #expect(webMain.terminate() == 0)
        #expect(SupervisorCLITests.eventually(10) { PublishedPortsTests.httpGet(port: port) == nil }, "port \(port) still answers")

        #expect(try Run.run(Run.command(api, "ExecStop"), in: project) == 0)
        #expect(apiMain.terminate() == 0)
        let stopping = Run.receive(restarted.listener, until: "STOPPING=1", seconds: 1)
        #expect(!stopping.contains { $0.contains("STOPPING=1") }, "the network-services unit ended with the services: \(stopping)")
        #expect(restarted.terminate() == 0)
        #expect(try project.containers().values.allSatisfy { $0.State != "running" })
    }

    @Test("a power cut, then the project unit's ExecStart: the always service runs again, the unless-stopped one the user stopped stays stopped, READY=1 arrives, and ExecStop leaves nothing running",
          arguments: [true, false])
    func powerCut(runtimeDirectoryIsEmptied: Bool) throws {
        let project = try Project("""
              keep:
                image: \(Self.image)
                command: ["sh", "-c", "\(Self.loop)"]
                restart: always
              manual:
                image: \(Self.image)
                command: ["sh", "-c", "\(Self.loop)"]
                restart: unless-stopped
            """)
        let unit = try #require(try Run.units(of: project, perService: false)[UnitGenerator.unitName(for: project.name)])
        let up = try project.run(["up", "-d"])
        try #require(up.status == 0, "\(up.stderr)")
        #expect(try project.run(["stop", "manual"]).status == 0)
        let before = try project.containers()
        #expect(before["keep"]?.State == "running")
        #expect(before["manual"]?.State == "exited")
        #expect(SupervisorCLITests.eventually(5) { project.supervisorPID != nil })

        // The power cut: every process dies at once, the supervisor first so it restarts nothing.
        // Bridges and nft tables live in the kernel and go. The runtime directory is a tmpfs,
        // emptied at boot; kept, it is what a kill of everything without a reboot leaves (stale
        // pids, pid files, lock files). The data directory (state database, container layers,
        // logs) is on disk and stays. So do the containers' emptied cgroups, which a reboot
        // would take: the runtime must cope with them after a kill without one.
        let supervisor = try #require(project.supervisorPID)
        kill(supervisor, SIGKILL)
        let keep = try #require(before["keep"])
        let processes = Self.runtimeProcesses(of: keep.ID, in: project)
        try #require(!processes.isEmpty, "no pids in the runtime state of \(keep.Name)")
        for pid in processes { kill(pid, SIGKILL) }
        #expect(SupervisorCLITests.eventually(5) { processes.allSatisfy { kill($0, 0) != 0 } })
        let bridge = LocalEngine.bridgeName("\(project.name)_default")
        _ = Self.command("/usr/sbin/nft", ["delete", "table", "inet", bridge])
        #expect(Self.command("/usr/sbin/ip", ["link", "delete", bridge]) == 0, "no bridge \(bridge) to delete")
        if runtimeDirectoryIsEmptied { try FileManager.default.removeItem(atPath: project.runtime) }

        // Boot: systemd runs the unit's ExecStart. No `ps` before it: that would repair things first.
        let started = Date()
        let main = try MainProcess(unit, in: project, name: "boot")
        let (ready, messages) = main.ready(within: 60)
        #expect(ready, "no READY=1 after the power cut: \(messages)")
        let seconds = Date().timeIntervalSince(started)
        let after = try project.containers()
        #expect(after["keep"]?.State == "running", "restart: always comes back at boot: \(String(describing: after["keep"]))")
        #expect(after["manual"]?.State == "exited", "unless-stopped, stopped by the user, stays stopped: \(String(describing: after["manual"]))")
        #expect(project.supervisorPID == main.process.processIdentifier, "the unit's main process is the project supervisor")
        print("power cut → READY=1 in \(String(format: "%.2f", seconds)) s")
        let rebooted = Self.runtimeProcesses(of: keep.ID, in: project)
        #expect(!rebooted.isEmpty && rebooted.allSatisfy { kill($0, 0) == 0 }, "keep's processes after boot: \(rebooted)")

        #expect(try Run.run(Run.command(unit, "ExecStop"), in: project) == 0)
        #expect(main.terminate() == 0)
        #expect(try project.containers().values.allSatisfy { $0.State != "running" })
        #expect(SupervisorCLITests.eventually(5) { rebooted.allSatisfy { kill($0, 0) != 0 } },
                "processes left after ExecStop: \(rebooted.filter { kill($0, 0) == 0 })")
    }

    /// The container and monitor pids the runtime recorded for container `id`.
    static func runtimeProcesses(of id: String, in project: Project) -> [Int32] {
        guard let data = FileManager.default.contents(atPath: project.runtime + "/runtime/\(id)/state.json"),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [] }
        return ["pid", "monitorPid"].compactMap { (object[$0] as? NSNumber)?.int32Value }.filter { $0 > 0 }
    }

    /// Runs a host tool to its end, output discarded; its exit status.
    static func command(_ path: String, _ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }
}
