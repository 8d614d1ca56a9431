import YAML

/// `extends`: a service starts from another service (of the same document, or of another file,
/// whose relative paths are resolved against that file's directory) and merges its own keys over
/// it with the usual merge rules. Chains are followed; cycles are errors showing the chain.
enum Extends {
    static func resolve(in document: YAMLNode, state: inout LoadState,
                        context: FileContext) throws(ComposeError) -> YAMLNode {
        guard let services = document["services"], let pairs = services.mappingPairs,
              pairs.contains(where: { $0.value["extends"] != nil }) else { return document }
        var resolver = Resolver(state: state, context: context)
        var resolved: [YAMLPair] = []
        for pair in pairs {
            let name = pair.key.scalarText ?? ""
            let service = try resolver.service(name, in: document, file: resolver.currentFile(of: pair.value), stack: [])
            resolved.append(YAMLPair(key: pair.key, value: service))
        }
        state = resolver.state
        return document.setting("services", to: YAMLNode(.mapping(resolved), tag: services.tag, location: services.location))
    }

    private struct Resolver {
        var state: LoadState
        let context: FileContext
        var done: [String: YAMLNode] = [:]

        func currentFile(of node: YAMLNode) -> String {
            FilePath.join(state.options.workingDirectory, node.location.file)
        }

        mutating func service(_ name: String, in document: YAMLNode, file: String,
                              stack: [String]) throws(ComposeError) -> YAMLNode {
            let key = file + "#" + name
            if let cached = done[key] { return cached }
            let path = ComposePath.root.appending("services").appending(name)
            guard let service = document["services"]?[name] else {
                throw ComposeError(.undefinedReference, at: document["services"]?.location ?? document.location,
                                   path: path.description, "service \"\(name)\" is not defined")
            }
            guard let extends = service["extends"] else { return service }
            let extendsPath = path.appending("extends")
            if stack.contains(key) {
                let chain = (stack + [key]).map { $0.split(separator: "#").last.map(String.init) ?? $0 }
                throw ComposeError(.cycle, at: extends.location, path: extendsPath.description,
                                   "extends cycle: \(chain.joined(separator: " → "))")
            }
            let (baseName, baseFile) = try target(of: extends, path: extendsPath)
            var base: YAMLNode
            if let baseFile {
                let declaringDirectory = extends.location.file == "<stdin>"
                    ? context.projectDirectory : FilePath.directory(of: currentFile(of: extends))
                let otherFile = FilePath.join(declaringDirectory, baseFile)
                let otherContext = FileContext(projectDirectory: FilePath.directory(of: otherFile),
                                               environment: context.environment)
                var includeStack: [String] = []
                let other: YAMLNode
                do {
                    other = try state.readDocument(otherFile, context: otherContext, includeStack: &includeStack)
                } catch let error where error.code == .notFound {
                    throw ComposeError(.notFound, at: extends.location, path: extendsPath.description,
                                       "extended file \(baseFile) does not exist")
                }
                guard other["services"]?[baseName] != nil else {
                    throw ComposeError(.undefinedReference, at: extends.location, path: extendsPath.description,
                                       "service \"\(baseName)\" is not defined in \(baseFile)")
                }
                base = try self.service(baseName, in: other, file: otherFile, stack: stack + [key])
            } else {
                guard document["services"]?[baseName] != nil else {
                    throw ComposeError(.undefinedReference, at: extends.location, path: extendsPath.description,
                                       "extends undefined service \"\(baseName)\"")
                }
                base = try self.service(baseName, in: document, file: file, stack: stack + [key])
            }
            base = base.removing("extends")
            let merged = NodeMerge.merge(base, service.removing("extends"), path: ["services", "*"])
                ?? service.removing("extends")
            done[key] = merged
            return merged
        }

        private func target(of extends: YAMLNode, path: ComposePath) throws(ComposeError) -> (String, String?) {
            if let name = extends.scalarText, !extends.isNullScalar { return (name, nil) }
            let pairs = try requireMapping(extends, path: path)
            for pair in pairs where !["service", "file"].contains(pair.key.scalarText ?? "") {
                throw ComposeError(.unknownKey, at: pair.key.location, path: path.description,
                                   "unknown key \"\(pair.key.scalarText ?? "")\"")
            }
            guard let name = extends["service"]?.scalarText else {
                throw ComposeError(.missingKey, at: extends.location, path: path.description,
                                   "missing required key \"service\"")
            }
            return (name, extends["file"]?.scalarText)
        }
    }
}
