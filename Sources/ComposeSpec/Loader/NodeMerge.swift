import YAML

/// Merges compose documents by the rules of the specification's merge section: mappings merge by
/// key, list-or-dict values merge by key, resources that are unique per target (ports, volumes,
/// secrets, configs) merge by target, commands are replaced, and `!reset` / `!override` tags let
/// a later file drop or replace a value. The same rules serve `extends`.
enum NodeMerge {
    enum Rule {
        case mapping            // recursive merge by key; a non-mapping on either side is replaced
        case replace            // the later value wins whole
        case keyValue           // list (`K=V`) or mapping, merged by key
        case keyedList          // list or mapping of names (depends_on, networks), merged by name
        case extraHosts         // `host:ip` / `host=ip` list or mapping
        case stringOrList       // a string is a one-item list; items appended without repeats
        case list               // items appended without repeats
        case uniqueBy(@Sendable (YAMLNode) -> String?)  // items replaced when the key matches
        case logging            // a different driver replaces the whole value
        case build              // a string is the context
    }

    /// The rule for a path, written as keys with service names replaced by `*`.
    static func rule(for path: [String]) -> Rule {
        guard path.count >= 3, path[0] == "services" else {
            return path.count == 1 && path[0] == "include" ? .list : .mapping
        }
        let key = path[2...].joined(separator: ".")
        switch key {
        case "command", "entrypoint", "healthcheck.test", "build.dockerfile_inline":
            return .replace
        case "environment", "labels", "annotations", "sysctls", "build.args", "build.labels",
             "deploy.labels", "build.additional_contexts", "storage_opt":
            return .keyValue
        case "depends_on", "networks":
            return .keyedList
        case "extra_hosts", "build.extra_hosts":
            return .extraHosts
        case "dns", "dns_search", "tmpfs", "env_file", "label_file":
            return .stringOrList
        case "volumes": return .uniqueBy(volumeTarget)
        case "secrets": return .uniqueBy { fileReferenceTarget($0, defaultDirectory: "/run/secrets/") }
        case "configs": return .uniqueBy { fileReferenceTarget($0, defaultDirectory: "/") }
        case "devices": return .uniqueBy { $0.scalarText ?? $0["target"]?.scalarText ?? $0["source"]?.scalarText }
        case "logging": return .logging
        case "build": return .build
        default:
            return .mapping
        }
    }

    /// `override` merged over `base`. Nil when the result is reset away.
    static func merge(_ base: YAMLNode?, _ override: YAMLNode, path: [String]) -> YAMLNode? {
        if override.isReset { return nil }
        if override.isOverride {
            return YAMLNode(override.kind, tag: nil, location: override.location)
        }
        guard let base else { return stripTags(override) }
        switch rule(for: path) {
        case .replace:
            return stripTags(override)
        case .mapping:
            guard base.mappingPairs != nil, override.mappingPairs != nil else {
                if override.sequenceItems != nil, base.sequenceItems != nil {
                    return appendUnique(base, override, key: { _ in nil })
                }
                return stripTags(override)
            }
            return mergeMappings(base, override, path: path)
        case .keyValue:
            return mergeMappings(keyValueMapping(base, separator: "="), keyValueMapping(override, separator: "="),
                                 path: path, leaf: true)
        case .keyedList:
            return mergeMappings(keyedMapping(base), keyedMapping(override), path: path)
        case .extraHosts:
            return appendUnique(extraHostList(base), extraHostList(override), key: hostKey)
        case .stringOrList:
            return appendUnique(asList(base), asList(override), key: { _ in nil })
        case .list:
            return appendUnique(asList(base), asList(override), key: { _ in nil })
        case .uniqueBy(let key):
            return appendUnique(asList(base), asList(override), key: key)
        case .logging:
            let baseDriver = base["driver"]?.scalarText, overrideDriver = override["driver"]?.scalarText
            if let baseDriver, let overrideDriver, baseDriver != overrideDriver { return stripTags(override) }
            return mergeMappings(base, override, path: path)
        case .build:
            return mergeMappings(buildMapping(base), buildMapping(override), path: path)
        }
    }

    /// Removes `!reset` values and `!override` tags from a node that has nothing to merge with.
    static func stripTags(_ node: YAMLNode) -> YAMLNode {
        switch node.kind {
        case .scalar:
            return node.tag == "reset" || node.tag == "override" ? YAMLNode(node.kind, location: node.location) : node
        case .sequence(let items):
            return YAMLNode(.sequence(items.filter { !$0.isReset }.map(stripTags)), tag: cleanTag(node.tag),
                            location: node.location)
        case .mapping(let pairs):
            let kept = pairs.filter { !$0.value.isReset }.map { YAMLPair(key: $0.key, value: stripTags($0.value)) }
            return YAMLNode(.mapping(kept), tag: cleanTag(node.tag), location: node.location)
        }
    }

    private static func cleanTag(_ tag: String?) -> String? {
        tag == "reset" || tag == "override" ? nil : tag
    }

    private static func mergeMappings(_ base: YAMLNode, _ override: YAMLNode, path: [String],
                                      leaf: Bool = false) -> YAMLNode {
        var pairs = base.mappingPairs ?? []
        var index: [String: Int] = [:]
        for (offset, pair) in pairs.enumerated() { index[pair.key.scalarText ?? ""] = offset }
        var removed = Set<Int>()
        for pair in override.mappingPairs ?? [] {
            let key = pair.key.scalarText ?? ""
            // Service names are not part of the rule path: `services.*.ports`.
            let childPath = path.count == 1 && path[0] == "services" ? path + ["*"] : path + [key]
            if let existing = index[key] {
                if let merged = leaf ? (pair.value.isReset ? nil : stripTags(pair.value))
                    : merge(pairs[existing].value, pair.value, path: childPath) {
                    pairs[existing].value = merged
                    removed.remove(existing)
                } else {
                    removed.insert(existing)
                }
            } else if let merged = merge(nil, pair.value, path: childPath) {
                index[key] = pairs.count
                pairs.append(YAMLPair(key: pair.key, value: merged))
            }
        }
        let kept = pairs.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
        return YAMLNode(.mapping(kept), tag: nil, location: override.location)
    }

    private static func appendUnique(_ base: YAMLNode, _ override: YAMLNode,
                                     key: (YAMLNode) -> String?) -> YAMLNode {
        var items = base.sequenceItems ?? []
        for item in override.sequenceItems ?? [] where !item.isReset {
            let item = stripTags(item)
            if let itemKey = key(item), let existing = items.firstIndex(where: { key($0) == itemKey }) {
                items[existing] = item
            } else if !items.contains(where: { $0.sameContent(as: item) }) {
                items.append(item)
            }
        }
        return YAMLNode(.sequence(items), tag: nil, location: override.location)
    }

    private static func asList(_ node: YAMLNode) -> YAMLNode {
        node.sequenceItems != nil ? node : .sequence(node.isNullScalar ? [] : [node], at: node.location)
    }

    /// `["A=1", "B"]` → `{A: "1", B: null}`; mappings are returned as they are.
    static func keyValueMapping(_ node: YAMLNode, separator: Character) -> YAMLNode {
        guard let items = node.sequenceItems else { return node }
        var pairs: [YAMLPair] = []
        for item in items {
            guard let text = item.scalarText else { continue }
            let key: String, value: YAMLNode
            if let cut = text.firstIndex(of: separator) {
                key = String(text[..<cut])
                value = .scalar(String(text[text.index(after: cut)...]), style: .doubleQuoted, at: item.location)
            } else {
                key = text
                value = .scalar("", style: .plain, at: item.location)
            }
            if let existing = pairs.firstIndex(where: { $0.key.scalarText == key }) { pairs.remove(at: existing) }
            pairs.append(YAMLPair(key: .scalar(key, at: item.location), value: value))
        }
        return .mapping(pairs, at: node.location)
    }

    /// `[db, cache]` → `{db: null, cache: null}` (depends_on, networks).
    private static func keyedMapping(_ node: YAMLNode) -> YAMLNode {
        guard let items = node.sequenceItems else { return node }
        return .mapping(items.map { YAMLPair(key: $0, value: .scalar("", at: $0.location)) }, at: node.location)
    }

    private static func extraHostList(_ node: YAMLNode) -> YAMLNode {
        guard let pairs = node.mappingPairs else { return asList(node) }
        var items: [YAMLNode] = []
        for pair in pairs {
            let host = pair.key.scalarText ?? ""
            for address in pair.value.sequenceItems ?? [pair.value] {
                items.append(.scalar("\(host)=\(address.scalarText ?? "")", at: address.location))
            }
        }
        return .sequence(items, at: node.location)
    }

    private static func hostKey(_ node: YAMLNode) -> String? {
        guard let text = node.scalarText, let cut = text.firstIndex(where: { $0 == "=" || $0 == ":" }) else {
            return nil
        }
        return String(text[..<cut]) + "=" + String(text[text.index(after: cut)...])
    }

    private static func buildMapping(_ node: YAMLNode) -> YAMLNode {
        guard node.scalarText != nil, !node.isNullScalar else { return node }
        return .mapping([YAMLPair(key: .scalar("context", at: node.location), value: node)], at: node.location)
    }

    /// The container path of a volume entry, short or long syntax.
    static func volumeTarget(_ node: YAMLNode) -> String? {
        if let target = node["target"]?.scalarText { return target }
        guard let text = node.scalarText else { return nil }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        return parts.count >= 2 ? String(parts[1]) : String(parts[0])
    }

    private static func fileReferenceTarget(_ node: YAMLNode, defaultDirectory: String) -> String? {
        if let target = node["target"]?.scalarText { return target }
        guard let source = node.scalarText ?? node["source"]?.scalarText else { return nil }
        return defaultDirectory + source
    }
}
