import ComposeSpec

extension UnitGenerator {
    /// `berth-<project>-network-services.service`: the per-service layout's host of the project's
    /// DNS servers and published ports. The escaped service part of a service unit's name never
    /// holds a `-` (systemd escapes it), so no service, whatever its name, can take this one.
    public static func networkServicesUnitName(for project: String) -> String {
        "berth-\(SystemdEscape.unitNameComponent(project))-network-services.service"
    }

    /// The unit whose main process, `berth … supervise --network-services`, serves what the
    /// project supervisor serves in the project layout: an embedded DNS server per network and a
    /// forwarder per published port. It supervises no container (those belong to the service
    /// units), so it never races their `Restart=`; it is ready once its control socket answers,
    /// and every service unit `Requires=` and is `After=` it, and asks it to reload as its
    /// containers come and go.
    public static func networkServicesUnit(for project: Project, options: UnitOptions) -> UnitFile {
        let command = baseCommand(project: project, options: options)
        var unit = UnitFile.Section("Unit")
        unit.append("Description", "Berth compose project \(project.name), DNS and published ports of its service units")
        unit.append("Documentation", "man:berth(1)")
        unit.append("PartOf", targetName(for: project.name))
        appendHostDependencies(to: &unit, project: project, options: options)

        var service = UnitFile.Section("Service")
        service.append("Type", "notify")
        service.append("NotifyAccess", "main")
        service.append("WorkingDirectory", SystemdEscape.path(project.workingDirectory))
        service.append("ExecStart", SystemdEscape.commandLine(command + ["supervise", "--network-services"]))
        service.append("Restart", "on-failure")
        return UnitFile(preamble: [.comment(header(for: project.name))],
                        sections: [unit, service].interleavedWithBlankLines())
    }
}
