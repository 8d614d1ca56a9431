import ComposeSpec
import Foundation
import Testing
import YAML

/// compose-go's full example (every key of the specification) against the normalized form the
/// reference implementation expects (`full-example.expected.yaml`), compared value by value.
@Suite struct FullExampleTests {
    /// Paths where Berth's canonical form differs on purpose, each with why.
    static let knownDifferences: [String: String] = [:]

    @Test("the full example means what compose-go makes of it")
    func matchesReference() throws {
        let directory = ConformanceTests.corpus + "/compose-go/full-example"
        // As compose-go's test runs it: QUX set in the environment, no consistency checks and
        // no defaults added (the expected form has no default network or resource names).
        var options = ComposeLoader.Options(environment: ["HOME": "/home/user", "QUX": "qux_from_environment"],
                                            workingDirectory: directory)
        options.files = ["full-example.yml"]
        options.consistencyChecks = false
        options.normalize = false
        let project = try ComposeLoader(options: options).load().project
        let ours = try ProjectEncoding.node(of: project)

        let expectedText = try String(contentsOfFile: ConformanceTests.corpus + "/compose-go/full-example.expected.yaml", encoding: .utf8)
            .replacingOccurrences(of: "${WORKDIR}", with: directory)
            .replacingOccurrences(of: "${HOME}", with: "/home/user")
        let expected = try #require(try YAMLParser.parse(expectedText, file: "full-example.expected.yaml"))

        var differences: [String] = []
        Self.diff(expected, ours, path: "", into: &differences)
        let unexpected = differences.filter { line in !Self.knownDifferences.keys.contains(where: { line.hasPrefix($0 + ":") }) }
        #expect(unexpected.isEmpty, "\(unexpected.count) differences:\n\(unexpected.joined(separator: "\n"))")
    }

    static func text(_ node: YAMLNode?) -> String {
        guard let node else { return "(absent)" }
        if let scalar = node.scalarText { return "\"\(scalar)\"" }
        return JSONEmitter.emit(node, pretty: false)
    }

    /// Compares values, not spelling: scalars by text, mappings by key, sequences in order.
    static func diff(_ expected: YAMLNode?, _ actual: YAMLNode?, path: String, into out: inout [String]) {
        switch (expected?.kind, actual?.kind) {
        case (.mapping(let a)?, .mapping(let b)?):
            var keys: [String] = a.compactMap(\.key.scalarText)
            for key in b.compactMap(\.key.scalarText) where !keys.contains(key) { keys.append(key) }
            for key in keys {
                diff(expected?[key], actual?[key], path: path.isEmpty ? key : path + "." + key, into: &out)
            }
        case (.sequence(let a)?, .sequence(let b)?) where a.count == b.count:
            for index in a.indices { diff(a[index], b[index], path: path + "[\(index)]", into: &out) }
        case (.scalar(let a, _)?, .scalar(let b, _)?) where a == b:
            break
        default:
            out.append("\(path): expected \(text(expected)), got \(text(actual))")
        }
    }
}
