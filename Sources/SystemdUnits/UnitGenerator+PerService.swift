import ComposeSpec

/// When a per-service unit reports itself started, named after the `depends_on` condition that
/// needs it. systemd starts a unit ordered `After=` another once that one is ready, so a unit
/// must not be ready before its strictest dependent may start.
public enum UnitReadiness: String, Sendable, Hashable, Codable, CaseIterable {
    /// `READY=1` once the service's containers run (`service_started`).
    case started
    /// `READY=1` once they are healthy (`service_healthy`).
    case healthy
    /// The unit is `Type=oneshot`: its main process exits, with the container's status, once the
    /// container has run to completion (`service_completed_successfully`).
    case completed
}

extension UnitGenerator {
    /// `berth-<project>.target`: starts, stops and enables a per-service project as one.
    public static func targetName(for project: String) -> String {
        "berth-\(SystemdEscape.unitNameComponent(project)).target"
    }

    /// `berth-<project>-<service>.service`, each part escaped with systemd's rules.
    public static func serviceUnitName(project: String, service: String) -> String {
        "berth-\(SystemdEscape.unitNameComponent(project))-\(SystemdEscape.unitNameComponent(service)).service"
    }

    /// What `service` must reach before its unit is ready: the strictest condition any active
    /// service's `depends_on` puts on it. A service that others wait on to complete runs as a
    /// job; one that others wait on to be healthy is ready when healthy; otherwise it is ready
    /// once started, as compose's `service_started` dependents expect.
    public static func readiness(of service: String, in project: Project) -> UnitReadiness {
        let conditions = project.services.values.compactMap { $0.dependsOn?[service]?.condition }
        if conditions.contains(.serviceCompletedSuccessfully) { return .completed }
        if conditions.contains(.serviceHealthy) { return .healthy }
        return .started
    }

    /// The target that groups the per-service units: enabling it starts them all at boot, and
    /// stopping it stops them (each unit is `PartOf=` it). It is reached once every unit is.
    public static func projectTarget(for project: Project, options: UnitOptions) -> UnitFile {
        var unit = UnitFile.Section("Unit")
        unit.append("Description", "Berth compose project \(project.name), one unit per service")
        unit.append("Documentation", "man:berth(1)")
        let units = [networkServicesUnitName(for: project.name)]
            + startOrder(of: project).map { serviceUnitName(project: project.name, service: $0) }
        for name in units { unit.append("Wants", name) }
        for name in units { unit.append("After", name) }
        var install = UnitFile.Section("Install")
        install.append("WantedBy", options.wantedBy)
        return UnitFile(preamble: [.comment(header(for: project.name))],
                        sections: [unit, install].interleavedWithBlankLines())
    }

    /// One unit per active service, in start order. Its main process is the service's supervisor
    /// (`berth … supervise --service NAME --ready READINESS`, see the README for that contract);
    /// `depends_on` becomes `Requires=` (`Wants=` when `required: false`) with `After=`, and
    /// `restart: true` adds `PartOf=` so restarting the dependency restarts the dependent.
    public static func serviceUnits(for project: Project, options: UnitOptions) -> [GeneratedUnit] {
        let graph = try? DependencyGraph(project: project)
        return startOrder(of: project).compactMap { name -> GeneratedUnit? in
            guard let service = project.services[name] else { return nil }
            let file = serviceUnit(service, in: project, edges: graph?.dependencies[name] ?? [], options: options)
            return GeneratedUnit(name: serviceUnitName(project: project.name, service: name), file: file)
        }
    }

    static func serviceUnit(_ service: Service, in project: Project, edges: [DependencyGraph.Edge],
                            options: UnitOptions) -> UnitFile {
        let command = baseCommand(project: project, options: options)
        let readiness = readiness(of: service.name, in: project)
        let restart = restartPolicy(of: service, readiness: readiness)
        let startTimeout = startTimeout(for: service, readiness: readiness)
        let unitName = { (dependency: String) in serviceUnitName(project: project.name, service: dependency) }

        var unit = UnitFile.Section("Unit")
        unit.append("Description", "Berth compose service \(service.name) of project \(project.name)")
        unit.append("Documentation", "man:berth(1)")
        unit.append("PartOf", targetName(for: project.name))
        appendHostDependencies(to: &unit, project: project, options: options)
        // DNS names and published ports are served by the project's network-services unit.
        unit.append("Requires", networkServicesUnitName(for: project.name))
        unit.append("After", networkServicesUnitName(for: project.name))
        // One entry per dependency, whatever the kinds of edge to it; depends_on's flags decide.
        var seen = Set<String>()
        let dependencies = edges.map(\.name).filter { seen.insert($0).inserted }
        for (key, names) in [
            ("Requires", dependencies.filter { service.dependsOn?[$0]?.required != false }),
            ("Wants", dependencies.filter { service.dependsOn?[$0]?.required == false }),
            ("After", dependencies.sorted()),
            ("PartOf", dependencies.filter { service.dependsOn?[$0]?.restart == true }),
        ] {
            for name in names { unit.append(key, unitName(name)) }
        }
        if let burst = restart.startLimitBurst, let interval = restart.startLimitInterval(startTimeout: startTimeout) {
            unit.append("StartLimitIntervalSec", interval)
            unit.append("StartLimitBurst", "\(burst)")
        }

        var section = UnitFile.Section("Service")
        if readiness == .completed {
            section.append("Type", "oneshot")
            section.append("RemainAfterExit", "yes")
        } else {
            section.append("Type", "notify")
            section.append("NotifyAccess", "main")
        }
        section.append("WorkingDirectory", SystemdEscape.path(project.workingDirectory))
        section.append("ExecStart", SystemdEscape.commandLine(
            command + ["supervise", "--service", service.name, "--ready", readiness.rawValue]))
        section.append("ExecReload", SystemdEscape.commandLine(command + ["up", "--detach", "--no-deps", service.name]))
        section.append("ExecStop", SystemdEscape.commandLine(command + ["stop", service.name]))
        section.append("KillMode", "mixed")
        section.append("Delegate", "yes")
        section.append("Restart", restart.policy.rawValue)
        if let delay = restart.delaySeconds, restart.policy != .no { section.append("RestartSec", "\(delay)") }
        section.append("TimeoutStartSec", startTimeout.map(String.init) ?? "infinity")
        section.append("TimeoutStopSec", "\(stopTimeout(for: service))")

        return UnitFile(preamble: [.comment(header(for: project.name))],
                        sections: [unit, section].interleavedWithBlankLines())
    }

    /// The service's restart policy, bounded by what its unit type allows: a job that others
    /// wait on to complete is `Type=oneshot`, which systemd restarts only on failure (compose
    /// would restart it after success too, and its dependents would never see it complete).
    static func restartPolicy(of service: Service, readiness: UnitReadiness) -> UnitRestart {
        var restart = UnitRestart(service: service)
        if readiness == .completed, restart.policy == .always { restart.policy = .onFailure }
        return restart
    }

    static func startOrder(of project: Project) -> [String] {
        (try? DependencyGraph(project: project))?.startOrder ?? project.serviceNames
    }
}
