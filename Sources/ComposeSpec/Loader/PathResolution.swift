import YAML

/// Makes the relative paths of a document absolute against the directory they belong to: the
/// project directory for the project's own files, the other file's directory for `extends.file`
/// and the included project's directory for `include`. Done on nodes, before merging, because
/// after a merge nothing tells which file a value came from.
struct PathResolution {
    let baseDirectory: String
    let home: String?

    func resolve(_ path: String) -> String {
        if path.hasPrefix("~"), let home, path == "~" || path.hasPrefix("~/") {
            return FilePath.clean(home + path.dropFirst())
        }
        // Absolute paths stay as written, as compose keeps them.
        if path.hasPrefix("/") { return path }
        return FilePath.clean(baseDirectory + "/" + path)
    }

    /// Resolves the paths of the top-level sections of a document.
    func resolveDocument(_ document: YAMLNode) -> YAMLNode {
        document.mapValues { key, value in
            switch key {
            case "services": return value.mapValues { _, service in resolveService(service) }
            case "secrets", "configs":
                return value.mapValues { _, definition in
                    guard let file = definition["file"], let text = file.scalarText else { return definition }
                    return definition.setting("file", to: replaced(file, with: resolve(text)))
                }
            default: return value
            }
        }
    }

    func resolveService(_ service: YAMLNode) -> YAMLNode {
        guard service.mappingPairs != nil else { return service }
        return service.mapValues { key, value in
            switch key {
            case "build": return resolveBuild(value)
            case "image": return resolveImageTransport(value)
            case "develop": return resolveWatchPaths(value)
            case "env_file", "label_file": return resolveFileList(value)
            case "volumes": return resolveVolumes(value)
            default: return value
            }
        }
    }

    private func resolveBuild(_ build: YAMLNode) -> YAMLNode {
        if let text = build.scalarText, !build.isNullScalar {
            return Self.isRemoteContext(text) ? build : replaced(build, with: resolve(text))
        }
        guard build.mappingPairs != nil else { return build }
        var result = build
        if let context = build["context"], let text = context.scalarText, !Self.isRemoteContext(text) {
            result = result.setting("context", to: replaced(context, with: resolve(text)))
        } else if build["context"] == nil {
            result = result.setting("context", to: .scalar(resolve("."), style: .doubleQuoted, at: build.location))
        }
        if let contexts = build["additional_contexts"] {
            let mapping = NodeMerge.keyValueMapping(contexts, separator: "=")
            result = result.setting("additional_contexts", to: mapping.mapValues { _, value in
                guard let text = value.scalarText, !Self.isRemoteContext(text), !text.contains(":") else { return value }
                return replaced(value, with: resolve(text))
            })
        }
        return result
    }

    /// `develop.watch[].path` names a directory on the host to watch.
    private func resolveWatchPaths(_ develop: YAMLNode) -> YAMLNode {
        guard let watch = develop["watch"], let items = watch.sequenceItems else { return develop }
        let resolved = items.map { item -> YAMLNode in
            guard let path = item["path"], let text = path.scalarText, !path.isNullScalar else { return item }
            return item.setting("path", to: replaced(path, with: resolve(text)))
        }
        return develop.setting("watch", to: YAMLNode(.sequence(resolved), tag: watch.tag, location: watch.location))
    }

    /// `oci-archive:PATH`, `oci:DIR` and `docker-archive:PATH` images name files; `:tag` stays.
    private func resolveImageTransport(_ image: YAMLNode) -> YAMLNode {
        guard let text = image.scalarText else { return image }
        for transport in ["oci-archive:", "oci:", "docker-archive:"] where text.hasPrefix(transport) {
            let rest = String(text.dropFirst(transport.count))
            guard !rest.hasPrefix("/") else { return image }
            return replaced(image, with: transport + resolve(rest))
        }
        return image
    }

    private func resolveFileList(_ node: YAMLNode) -> YAMLNode {
        if let text = node.scalarText, !node.isNullScalar { return replaced(node, with: resolve(text)) }
        guard let items = node.sequenceItems else { return node }
        return YAMLNode(.sequence(items.map { item in
            if let text = item.scalarText { return replaced(item, with: resolve(text)) }
            if let path = item["path"], let text = path.scalarText {
                return item.setting("path", to: replaced(path, with: resolve(text)))
            }
            return item
        }), tag: node.tag, location: node.location)
    }

    private func resolveVolumes(_ node: YAMLNode) -> YAMLNode {
        guard let items = node.sequenceItems else { return node }
        return YAMLNode(.sequence(items.map { item in
            if let text = item.scalarText {
                // Short syntax: only sources written as paths are binds; others name volumes.
                guard text.hasPrefix(".") || text.hasPrefix("~"),
                      let cut = text.firstIndex(of: ":") else { return item }
                let source = String(text[..<cut])
                return replaced(item, with: resolve(source) + text[cut...])
            }
            guard item["type"]?.scalarText == "bind", let source = item["source"],
                  let text = source.scalarText else { return item }
            return item.setting("source", to: replaced(source, with: resolve(text)))
        }), tag: node.tag, location: node.location)
    }

    private func replaced(_ node: YAMLNode, with text: String) -> YAMLNode {
        YAMLNode(.scalar(text, .doubleQuoted), tag: node.tag, location: node.location)
    }

    /// Build contexts that are URLs or git remotes are not paths.
    static func isRemoteContext(_ text: String) -> Bool {
        text.contains("://") || text.hasPrefix("git@") || text.hasPrefix("github.com/")
    }
}

/// Lexical path helpers (no file-system access).
public enum FilePath {
    /// Removes `.` and empty components and resolves `..` lexically, like Go's `filepath.Clean`.
    public static func clean(_ path: String) -> String {
        let absolute = path.hasPrefix("/")
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." {
                if let last = parts.last, last != ".." { parts.removeLast(); continue }
                if absolute { continue }
            }
            parts.append(part)
        }
        let joined = parts.joined(separator: "/")
        if absolute { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }

    public static func directory(of path: String) -> String {
        guard let cut = path.lastIndex(of: "/") else { return "." }
        return cut == path.startIndex ? "/" : String(path[..<cut])
    }

    public static func lastComponent(of path: String) -> String {
        guard let cut = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: cut)...])
    }

    public static func join(_ base: String, _ path: String) -> String {
        path.hasPrefix("/") ? clean(path) : clean(base + "/" + path)
    }
}
