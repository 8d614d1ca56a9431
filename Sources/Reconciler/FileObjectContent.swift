import ComposeSpec
import Crypto
import Foundation

/// What the secrets and configs a service mounts contain, as digests: compose hashes only the
/// service's own keys, so without them a changed secret would leave the containers running
/// with the old one. The content is `file`'s bytes, the `environment` variable's value, or
/// `content` as written.
public enum FileObjectContent {
    /// The reader `DesiredState` uses by default: the whole file, nil when it cannot be read
    /// (the engine reports that when it creates the container).
    @Sendable public static func readFile(_ path: String) -> [UInt8]? {
        FileManager.default.contents(atPath: path).map { Array($0) }
    }

    /// `secrets content` and `configs content` → `{"name":"sha256",…}` for the ones `service`
    /// mounts; keys with nothing mounted are left out.
    static func digests(of service: Service, in project: Project, readFile: (String) -> [UInt8]?) -> [String: String] {
        var result: [String: String] = [:]
        let kinds: [(String, [ServiceFileReference]?, [String: FileObjectDefinition])] = [
            ("secrets content", service.secrets, project.secrets), ("configs content", service.configs, project.configs),
        ]
        for (key, references, definitions) in kinds {
            guard let references, !references.isEmpty else { continue }
            var digests: [String: String] = [:]
            for reference in references {
                let bytes = content(of: definitions[reference.source], in: project, readFile: readFile)
                digests[reference.source] = bytes.map { sha256($0) } ?? "unreadable"
            }
            result[key] = "{" + digests.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\"\($0.value)\"" }.joined(separator: ",") + "}"
        }
        return result
    }

    /// The bytes a definition gives, nil for an external one, one without a source, or a file
    /// that cannot be read.
    static func content(of definition: FileObjectDefinition?, in project: Project, readFile: (String) -> [UInt8]?) -> [UInt8]? {
        guard let definition else { return nil }
        if let file = definition.file { return readFile(file) }
        if let variable = definition.environment { return Array((project.environment[variable] ?? "").utf8) }
        if let content = definition.content { return Array(content.utf8) }
        return nil
    }

    static func sha256(_ text: String) -> String { sha256(Array(text.utf8)) }

    static func sha256(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
