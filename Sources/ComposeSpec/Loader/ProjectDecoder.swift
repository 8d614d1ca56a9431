import YAML

/// Turns the merged document into a typed `Project`, rejecting unknown top-level keys.
enum ProjectDecoder {
    static let topLevelKeys: Set<String> = ["version", "name", "include", "services", "networks", "volumes",
                                            "secrets", "configs", "models"]

    static func decode(_ document: YAMLNode, name: String, projectDirectory: String,
                       warnings: inout [ComposeError]) throws(ComposeError) -> Project {
        var project = Project(name: name, workingDirectory: projectDirectory)
        for pair in document.mappingPairs ?? [] {
            let key = pair.key.scalarText ?? ""
            guard topLevelKeys.contains(key) || key.hasPrefix("x-") else {
                throw ComposeError(.unknownKey, at: pair.key.location, path: "",
                                   "unknown top-level key \"\(key)\"")
            }
            if key == "version" {
                warnings.append(ComposeError(.unsupported, at: pair.key.location, path: "version",
                                             "the attribute `version` is obsolete and ignored"))
            }
        }
        let root = NodeDecoder(node: document, path: .root)
        do {
            project.extensions = try root.extensions()
        } catch {
            throw located(error, document)
        }
        project.services = try section("services", of: document) { name, node, path throws(ComposeError) in
            try NodeDecoder.decode(Service.self, from: node, path: path)
        }
        project.networks = try section("networks", of: document) { _, node, path throws(ComposeError) in
            try NodeDecoder.decode(NetworkDefinition.self, from: node, path: path)
        }
        project.volumes = try section("volumes", of: document) { _, node, path throws(ComposeError) in
            try NodeDecoder.decode(VolumeDefinition.self, from: node, path: path)
        }
        project.secrets = try section("secrets", of: document) { _, node, path throws(ComposeError) in
            try NodeDecoder.decode(FileObjectDefinition.self, from: node, path: path)
        }
        project.configs = try section("configs", of: document) { _, node, path throws(ComposeError) in
            try NodeDecoder.decode(FileObjectDefinition.self, from: node, path: path)
        }
        return project
    }

    private static func section<T>(_ key: String, of document: YAMLNode,
                                   _ decode: (String, YAMLNode, ComposePath) throws(ComposeError) -> T) throws(ComposeError) -> [String: T] {
        guard let node = document[key] else { return [:] }
        let path = ComposePath.root.appending(key)
        let pairs = try requireMapping(node, path: path)
        var result: [String: T] = [:]
        result.reserveCapacity(pairs.count)
        for pair in pairs {
            guard let name = pair.key.scalarText, !pair.key.isNullScalar else {
                throw ComposeError(.invalidType, at: pair.key.location, path: path.description, "names must be strings")
            }
            // Inside a section `x-…` is a name like any other; only top-level x- keys are extensions.
            result[name] = try decode(name, pair.value, path.appending(name))
        }
        return result
    }

    private static func located(_ error: any Error, _ node: YAMLNode) -> ComposeError {
        (error as? ComposeError) ?? ComposeError(.invalidValue, at: node.location, path: "", "\(error)")
    }
}
