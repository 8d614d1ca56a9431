/// Turns a stream of parse events into `YAMLNode` trees with an explicit stack, so that nesting
/// depth costs heap, never call-stack. Resolves anchors and aliases, merge keys (`<<`) and
/// rejects duplicate keys. Knows nothing of libyaml: `YAMLParser` feeds it.
struct YAMLTreeBuilder {
    private let file: String
    private let limits: YAMLLimits

    /// A collection being read: its items (sequences) or pairs (mappings) so far, and for a
    /// mapping the key waiting for its value.
    private struct Frame {
        var isMapping: Bool
        var tag: String?
        var anchor: String?
        var location: SourceLocation
        var items: [YAMLNode] = []
        var pairs: [YAMLPair] = []
        var pendingKey: YAMLNode?
        /// Nodes this collection expands to, itself included (aliases count their full size).
        var size = 1
        /// Levels of collections in this one, itself included, so that an alias to it can be
        /// checked against the depth limit where it is used.
        var height = 1
        var hasMergeKey = false
    }

    /// An anchored node and its expanded size, so that an alias costs O(1) to count and to copy
    /// (`YAMLNode` children are copy-on-write arrays: the copy shares storage).
    private struct Anchored {
        var node: YAMLNode
        var size: Int
        var height: Int
    }

    private var stack: [Frame] = []
    private var anchors: [String: Anchored] = [:]
    private var producedNodes = 0
    /// The finished root of the current document.
    private(set) var root: YAMLNode?

    init(file: String, limits: YAMLLimits) {
        self.file = file
        self.limits = limits
    }

    func location(line: Int, column: Int) -> SourceLocation {
        SourceLocation(file: file, line: line, column: column)
    }

    /// Anchors do not cross document boundaries; neither does the node budget.
    mutating func beginDocument() {
        stack.removeAll(keepingCapacity: true)
        anchors.removeAll(keepingCapacity: true)
        producedNodes = 0
        root = nil
    }

    mutating func scalar(_ text: String, style: ScalarStyle, tag: String?, anchor: String?,
                         at location: SourceLocation) throws(YAMLError) {
        try count(1, at: location)
        let node = YAMLNode(.scalar(text, style), tag: tag, location: location)
        attach(node, size: 1, height: 0, anchor: anchor)
    }

    mutating func alias(_ name: String, at location: SourceLocation) throws(YAMLError) {
        guard let anchored = anchors[name] else {
            throw YAMLError(.undefinedAlias, at: location,
                            "alias *\(name) refers to no anchor defined before it (define &\(name) first)")
        }
        if stack.count + anchored.height > limits.maxDepth {
            throw tooDeep(at: location)
        }
        try count(anchored.size, at: location)
        var node = anchored.node
        node.location = location
        attach(node, size: anchored.size, height: anchored.height, anchor: nil)
    }

    mutating func beginCollection(mapping: Bool, tag: String?, anchor: String?,
                                  at location: SourceLocation) throws(YAMLError) {
        if stack.count >= limits.maxDepth { throw tooDeep(at: location) }
        try count(1, at: location)
        stack.append(Frame(isMapping: mapping, tag: tag, anchor: anchor, location: location))
    }

    mutating func endCollection() throws(YAMLError) {
        guard let frame = stack.popLast() else { return }
        let node: YAMLNode
        if frame.isMapping {
            let pairs = frame.hasMergeKey ? try mergedPairs(frame) : try checkedPairs(frame)
            node = YAMLNode(.mapping(pairs), tag: frame.tag, location: frame.location)
        } else {
            node = YAMLNode(.sequence(frame.items), tag: frame.tag, location: frame.location)
        }
        attach(node, size: frame.size, height: frame.height, anchor: frame.anchor)
    }

    private func tooDeep(at location: SourceLocation) -> YAMLError {
        YAMLError(.tooDeep, at: location,
                  "collections nested deeper than \(limits.maxDepth) levels; flatten the document")
    }

    // MARK: - Building

    private mutating func count(_ nodes: Int, at location: SourceLocation) throws(YAMLError) {
        producedNodes += nodes
        if producedNodes > limits.maxNodes {
            throw YAMLError(.aliasExpansion, at: location,
                            "document expands to more than \(limits.maxNodes) nodes (an alias counts as "
                                + "everything it repeats); reduce alias use or split the document")
        }
    }

    private mutating func attach(_ node: YAMLNode, size: Int, height: Int, anchor: String?) {
        if let anchor { anchors[anchor] = Anchored(node: node, size: size, height: height) }
        guard !stack.isEmpty else {
            root = node
            return
        }
        let last = stack.count - 1
        if !stack[last].isMapping {
            stack[last].items.append(node)
        } else if let key = stack[last].pendingKey {
            stack[last].pairs.append(YAMLPair(key: key, value: node))
            stack[last].pendingKey = nil
        } else {
            if Self.isMergeKey(node) { stack[last].hasMergeKey = true }
            stack[last].pendingKey = node
        }
        stack[last].size += size
        stack[last].height = max(stack[last].height, height + 1)
    }

    /// `<<` written plain (or tagged `!!merge`): a quoted `"<<"` is an ordinary key.
    private static func isMergeKey(_ node: YAMLNode) -> Bool {
        guard case .scalar("<<", .plain) = node.kind else { return false }
        return node.tag == nil || node.tag == "tag:yaml.org,2002:merge"
    }

    // MARK: - Mappings

    private func duplicateKeyError(_ key: String, first: SourceLocation, again: SourceLocation) -> YAMLError {
        YAMLError(.duplicateKey, at: again, "duplicate key \"\(key)\" (first defined at \(first))")
    }

    /// Pairs of a mapping without merge keys, rejecting keys written twice. Small mappings (most
    /// of a compose file) are checked by a scan, larger ones through a dictionary.
    private func checkedPairs(_ frame: Frame) throws(YAMLError) -> [YAMLPair] {
        let pairs = frame.pairs
        if pairs.count <= 12 {
            for later in pairs.indices {
                guard let text = pairs[later].key.scalarText else { continue }
                for earlier in 0..<later where pairs[earlier].key.scalarText == text {
                    throw duplicateKeyError(text, first: pairs[earlier].key.location,
                                            again: pairs[later].key.location)
                }
            }
        } else {
            var seen: [String: SourceLocation] = [:]
            seen.reserveCapacity(pairs.count)
            for pair in pairs {
                guard let text = pair.key.scalarText else { continue }
                if let first = seen.updateValue(pair.key.location, forKey: text) {
                    throw duplicateKeyError(text, first: first, again: pair.key.location)
                }
            }
        }
        return pairs
    }

    /// Resolves `<<`: keys written in this mapping win over merged ones; among merged mappings the
    /// earlier wins; merged pairs take the place where `<<` stood.
    private func mergedPairs(_ frame: Frame) throws(YAMLError) -> [YAMLPair] {
        let written = frame.pairs
        var explicit: [String: SourceLocation] = [:]
        var mergeLocation: SourceLocation?
        for pair in written {
            if Self.isMergeKey(pair.key) {
                if let first = mergeLocation {
                    throw duplicateKeyError("<<", first: first, again: pair.key.location)
                }
                mergeLocation = pair.key.location
                continue
            }
            guard let text = pair.key.scalarText else { continue }
            if let first = explicit.updateValue(pair.key.location, forKey: text) {
                throw duplicateKeyError(text, first: first, again: pair.key.location)
            }
        }

        var result: [YAMLPair] = []
        result.reserveCapacity(written.count)
        var merged: Set<String> = []
        for pair in written {
            guard Self.isMergeKey(pair.key) else {
                result.append(pair)
                continue
            }
            for source in try Self.mergeSources(pair.value) {
                for mergedPair in source {
                    if let text = mergedPair.key.scalarText {
                        if explicit[text] != nil || !merged.insert(text).inserted { continue }
                    }
                    result.append(mergedPair)
                }
            }
        }
        return result
    }

    /// The mappings a `<<` value stands for, in priority order.
    private static func mergeSources(_ value: YAMLNode) throws(YAMLError) -> [[YAMLPair]] {
        switch value.kind {
        case .mapping(let pairs):
            return [pairs]
        case .sequence(let items):
            var sources: [[YAMLPair]] = []
            for (index, item) in items.enumerated() {
                guard case .mapping(let pairs) = item.kind else {
                    throw invalidMerge(value, found: "item \(index + 1) of the list is \(item.kindDescription) "
                                          + "(at \(item.location))")
                }
                sources.append(pairs)
            }
            return sources
        case .scalar:
            throw invalidMerge(value, found: "found \(value.kindDescription)")
        }
    }

    private static func invalidMerge(_ value: YAMLNode, found: String) -> YAMLError {
        YAMLError(.invalidMergeKey, at: value.location,
                  "merge key << needs a mapping, an alias to one, or a list of them; \(found)")
    }
}
