import Foundation
import YAML

/// `include`: each entry is a compose project of its own (its files, project directory and env
/// file) whose resources are added to the including file. A resource defined on both sides is
/// an error unless both definitions are the same.
enum Include {
    static let sections = ["services", "networks", "volumes", "secrets", "configs"]

    static func apply(to document: YAMLNode, file: String, state: inout LoadState, context: FileContext,
                      includeStack: inout [String]) throws(ComposeError) -> YAMLNode {
        guard let includeNode = document["include"] else { return document }
        guard let entries = includeNode.sequenceItems else {
            if includeNode.isNullScalar { return document.removing("include") }
            throw ComposeError(.invalidType, at: includeNode.location, path: "include",
                               "must be a list, not \(includeNode.kindDescription)")
        }
        var result = document.removing("include")
        for (index, entry) in entries.enumerated() {
            let path = ComposePath.root.appending("include").appending(index: index)
            let spec = try IncludeSpec(entry, path: path, context: context)
            for included in spec.files where includeStack.contains(included) {
                let chain = (includeStack + [included]).map { state.displayName($0) }.joined(separator: " → ")
                throw ComposeError(.cycle, at: entry.location, path: path.description, "include cycle: \(chain)")
            }
            var environment = context.environment
            let ownEnvironment = try ProjectEnvironment.load(shell: [:], envFiles: spec.envFiles,
                                                             projectDirectory: spec.projectDirectory)
            environment = ownEnvironment.merging(environment) { _, parent in parent }
            let includedContext = FileContext(projectDirectory: spec.projectDirectory, environment: environment)
            var merged: YAMLNode?
            for included in spec.files {
                guard FileManager.default.fileExists(atPath: included) else {
                    throw ComposeError(.notFound, at: entry.location, path: path.description,
                                       "included file \(state.displayName(included)) does not exist")
                }
                let document = try state.readDocument(included, context: includedContext, includeStack: &includeStack)
                merged = merged.map { NodeMerge.merge($0, document, path: []) ?? document } ?? NodeMerge.stripTags(document)
            }
            guard var includedDocument = merged else { continue }
            includedDocument = try Extends.resolve(in: includedDocument, state: &state, context: includedContext)
            result = try add(includedDocument, to: result, at: entry.location, path: path)
        }
        return result
    }

    private static func add(_ included: YAMLNode, to document: YAMLNode, at location: SourceLocation,
                            path: ComposePath) throws(ComposeError) -> YAMLNode {
        var result = document
        for section in sections {
            guard let incoming = included[section]?.mappingPairs, !incoming.isEmpty else { continue }
            var pairs = document[section]?.mappingPairs ?? []
            for pair in incoming {
                let name = pair.key.scalarText ?? ""
                if let existing = pairs.first(where: { $0.key.scalarText == name }) {
                    if existing.value.sameContent(as: pair.value) { continue }
                    throw ComposeError(.conflict, at: existing.key.location, path: "\(section).\(name)",
                                       "conflicts with the \(section.dropLast()) of the same name imported by include (\(pair.key.location))")
                }
                pairs.append(pair)
            }
            result = result.setting(section, to: .mapping(pairs, at: document[section]?.location ?? location))
        }
        return result
    }
}

/// One `include` entry: a path, a list of paths, or the long form.
private struct IncludeSpec {
    var files: [String]
    var projectDirectory: String
    var envFiles: [String]

    init(_ node: YAMLNode, path: ComposePath, context: FileContext) throws(ComposeError) {
        let base = context.projectDirectory
        func strings(_ value: YAMLNode, _ path: ComposePath) throws(ComposeError) -> [String] {
            if let text = value.scalarText, !value.isNullScalar { return [text] }
            if let items = value.sequenceItems {
                var result: [String] = []
                for (index, item) in items.enumerated() {
                    guard let text = item.scalarText, !item.isNullScalar else {
                        throw ComposeError(.invalidType, at: item.location, path: path.appending(index: index).description,
                                           "must be a string")
                    }
                    result.append(text)
                }
                return result
            }
            throw ComposeError(.invalidType, at: value.location, path: path.description,
                               "must be a string or a list of strings")
        }
        if node.scalarText != nil {
            files = try strings(node, path).map { FilePath.join(base, $0) }
            projectDirectory = FilePath.directory(of: files[0])
            envFiles = []
            return
        }
        let pairs = try requireMapping(node, path: path)
        for pair in pairs {
            let key = pair.key.scalarText ?? ""
            guard ["path", "project_directory", "env_file"].contains(key) || key.hasPrefix("x-") else {
                throw ComposeError(.unknownKey, at: pair.key.location, path: path.description, "unknown key \"\(key)\"")
            }
        }
        guard let pathNode = node["path"] else {
            throw ComposeError(.missingKey, at: node.location, path: path.description, "missing required key \"path\"")
        }
        files = try strings(pathNode, path.appending("path")).map { FilePath.join(base, $0) }
        guard let first = files.first else {
            throw ComposeError(.invalidValue, at: pathNode.location, path: path.appending("path").description, "no file named")
        }
        if let directory = node["project_directory"]?.scalarText {
            projectDirectory = FilePath.join(base, directory)
        } else {
            projectDirectory = FilePath.directory(of: first)
        }
        if let envNode = node["env_file"] {
            envFiles = try strings(envNode, path.appending("env_file")).map { FilePath.join(base, $0) }
        } else {
            envFiles = []
        }
    }
}
