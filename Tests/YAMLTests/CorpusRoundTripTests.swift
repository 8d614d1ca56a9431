import Foundation
import Testing
@testable import YAML

/// Every YAML file of the shared conformance corpus (`../shared/conformance`, real compose files
/// from awesome-compose, compose-go, podman-compose and docker compose's e2e tests) that parses
/// must emit YAML and JSON that parse back to the same tree.
@Suite struct CorpusRoundTripTests {
    static let corpus: String = {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return repository.appendingPathComponent("../shared/conformance").standardized.path
    }()

    static let files: [String] = {
        guard let walker = FileManager.default.enumerator(atPath: corpus) else { return [] }
        var files: [String] = []
        while let path = walker.nextObject() as? String {
            if path.hasSuffix(".yml") || path.hasSuffix(".yaml") { files.append(path) }
        }
        return files.sorted()
    }()

    @Test("every corpus file that parses round-trips through the YAML and JSON emitters")
    func roundTrip() throws {
        guard !Self.files.isEmpty else {
            // Not a silent skip: the corpus is shared outside the repository.
            print("CorpusRoundTripTests: no corpus at \(Self.corpus); the round trip over real files did not run")
            return
        }
        var parsed = 0
        var failures: [String] = []
        for file in Self.files {
            guard let data = FileManager.default.contents(atPath: Self.corpus + "/" + file),
                  let documents = try? YAMLParser.parseDocuments(Array(data), file: file) else { continue }
            parsed += 1
            for document in documents {
                let yaml = YAMLEmitter.emit(document)
                do {
                    let again = try YAMLParser.parse(yaml, file: "emitted")
                    if again?.meaning != document.meaning { failures.append("\(file): YAML differs") }
                } catch {
                    failures.append("\(file): emitted YAML does not parse: \(error)")
                }
                let json = JSONEmitter.emit(document, pretty: true)
                do {
                    // JSON is YAML: reading it back must give the same values, with keys as strings.
                    let again = try YAMLParser.parse(json, file: "emitted.json")
                    if again.map(jsonMeaning) != jsonMeaning(document) { failures.append("\(file): JSON differs") }
                } catch {
                    failures.append("\(file): emitted JSON does not parse: \(error)")
                }
            }
        }
        #expect(parsed > 400, "only \(parsed) of \(Self.files.count) corpus files parsed")
        #expect(failures.isEmpty, Comment(rawValue: failures.joined(separator: "\n")))
    }
}

/// What JSON can say about a node: tags dropped, keys as strings, numbers as doubles.
private func jsonMeaning(_ node: YAMLNode) -> String {
    switch node.kind {
    case .scalar(let text, _):
        switch node.resolved {
        case .null, .none: return "null"
        case .bool(let value): return "b:\(value)"
        case .int(let value): return "n:\(Double(value))"
        case .double(let value): return value.isFinite ? "n:\(value)" : "s:\(text)"
        case .string(let value): return "s:\(value)"
        }
    case .sequence(let items):
        return "[" + items.map(jsonMeaning).joined(separator: ",") + "]"
    case .mapping(let pairs):
        return "{" + pairs.map { pair in
            "s:" + (pair.key.scalarText ?? JSONEmitter.emit(pair.key, pretty: false)) + "=" + jsonMeaning(pair.value)
        }.joined(separator: ",") + "}"
    }
}
