import YAML

/// Checks that need the whole project: references between services and to top-level resources,
/// and dependency cycles. Errors point at the reference in the merged document.
enum Validation {
    static func validate(_ project: Project, document: YAMLNode, warnings: inout [ComposeError]) throws(ComposeError) {
        func error(_ code: ComposeError.Code, _ path: [String], _ message: String) -> ComposeError {
            ComposeError(code, at: document.locate(path), path: path.joined(separator: "."), message)
        }
        for name in project.services.keys.sorted() {
            guard let service = project.services[name] else { continue }
            guard ServiceNames.isValid(name) else {
                throw error(.invalidValue, ["services", name],
                            "invalid service name \"\(name)\": use letters, digits, dots, dashes and underscores")
            }
            if service.networkMode != nil, let networks = service.networks, !networks.isEmpty {
                throw error(.conflict, ["services", name, "networks"], "\"network_mode\" and \"networks\" cannot be combined")
            }
            for edge in DependencyGraph.dependencies(of: service) where project.services[edge.name] == nil {
                let path = ["services", name, edge.kind.rawValue, edge.name]
                let disabled = project.disabledServices[edge.name] != nil
                let what = disabled
                    ? "\"\(edge.name)\", which no active profile enables (enable it with --profile)"
                    : "undefined service \"\(edge.name)\""
                if !edge.required {
                    warnings.append(error(.undefinedReference, path, "optional dependency on \(what) is skipped"))
                    continue
                }
                throw error(.undefinedReference, path, "\(name) refers to \(what)")
            }
            for network in (service.networks ?? [:]).keys.sorted()
            where project.networks[network] == nil && network != "default" {
                throw error(.undefinedReference, ["services", name, "networks", network],
                            "undefined network \"\(network)\" (declare it under the top-level `networks`)")
            }
            for (index, volume) in (service.volumes ?? []).enumerated() where volume.type == .volume {
                guard let source = volume.source, !source.isEmpty else { continue }
                if project.volumes[source] == nil {
                    throw ComposeError(.undefinedReference,
                                       at: document.locate(["services", name, "volumes", "\(index)"]),
                                       path: "services.\(name).volumes[\(index)]",
                                       "undefined volume \"\(source)\" (declare it under the top-level `volumes`)")
                }
            }
            for (kind, references, definitions) in [("secret", service.secrets, project.secrets),
                                                     ("config", service.configs, project.configs)] {
                for reference in references ?? [] where definitions[reference.source] == nil {
                    throw error(.undefinedReference, ["services", name, kind + "s", reference.source],
                                "undefined \(kind) \"\(reference.source)\" (declare it under the top-level `\(kind)s`)")
                }
            }
            if service.containerName != nil, service.replicas > 1 {
                throw error(.conflict, ["services", name, "container_name"],
                            "container_name cannot be used with \(service.replicas) replicas: names must be unique")
            }
        }
        var containerNames: [String: String] = [:]
        for name in project.services.keys.sorted() {
            guard let containerName = project.services[name]?.containerName else { continue }
            if let other = containerNames[containerName] {
                throw error(.conflict, ["services", name, "container_name"],
                            "container name \"\(containerName)\" is already used by service \"\(other)\"")
            }
            containerNames[containerName] = name
        }
        do {
            _ = try DependencyGraph(project: project)
        } catch {
            throw ComposeError(.cycle, at: document.locate(["services"]), path: "services", error.message)
        }
    }
}

/// Service names as compose accepts them.
enum ServiceNames {
    static func isValid(_ name: String) -> Bool {
        !name.isEmpty && name.unicodeScalars.allSatisfy { scalar in
            ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
                || scalar == "." || scalar == "_" || scalar == "-"
        }
    }
}

extension YAMLNode {
    /// The best location for a path: the key that names the last component, or a list item
    /// whose text starts with it, or the deepest node reached.
    func locate(_ path: [String]) -> SourceLocation {
        var node = self
        var location = self.location
        for component in path {
            if let pairs = node.mappingPairs, let pair = pairs.first(where: { $0.key.scalarText == component }) {
                location = pair.key.location
                node = pair.value
            } else if let items = node.sequenceItems {
                if let index = Int(component), items.indices.contains(index) {
                    node = items[index]
                } else if let item = items.first(where: {
                    guard let text = $0.scalarText ?? $0["source"]?.scalarText else { return false }
                    return text == component || text.hasPrefix(component + ":") || text.hasPrefix("service:" + component)
                }) {
                    node = item
                } else {
                    return location
                }
                location = node.location
            } else if let text = node.scalarText, text.contains(component) {
                return node.location
            } else {
                return location
            }
        }
        return location
    }
}
