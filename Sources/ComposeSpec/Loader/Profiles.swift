import YAML

/// Chooses the active services: those without profiles, those with an active profile
/// (`--profile`, else `COMPOSE_PROFILES`; `*` activates all), and those named on the command
/// line together with everything they depend on.
enum Profiles {
    static func active(options: ComposeLoader.Options, environment: [String: String]) -> [String] {
        if !options.profiles.isEmpty { return options.profiles }
        guard let list = environment["COMPOSE_PROFILES"] else { return [] }
        return list.split(separator: ",").map { String(String($0).trimmingSpaces) }.filter { !$0.isEmpty }
    }

    static func apply(to project: inout Project, document: YAMLNode, options: ComposeLoader.Options,
                      environment: [String: String]) throws(ComposeError) {
        let active = active(options: options, environment: environment)
        project.activeProfiles = active
        let all = active.contains("*")
        let activeSet = Set(active)
        var enabled = Set(project.services.values.filter { service in
            guard let profiles = service.profiles, !profiles.isEmpty else { return true }
            return all || profiles.contains(where: activeSet.contains)
        }.map(\.name))

        var queue: [String] = []
        for name in options.services {
            guard project.services[name] != nil else {
                throw ComposeError(.undefinedReference, at: .synthetic("command line"), path: "",
                                   "no such service: \(name)")
            }
            queue.append(name)
        }
        while let name = queue.popLast() {
            guard enabled.insert(name).inserted || options.services.contains(name) else { continue }
            guard let service = project.services[name] else { continue }
            queue += DependencyGraph.dependencies(of: service).map(\.name).filter { !enabled.contains($0) }
        }

        for (name, service) in project.services where !enabled.contains(name) {
            project.disabledServices[name] = service
            project.services[name] = nil
        }
    }
}
