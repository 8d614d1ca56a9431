import ComposeSpec
import Foundation
import Testing
import YAML

/// The shared corpus of real compose files (`../shared/conformance`): every file valid under
/// the specification loads, and its canonical output loads back to the same project; every file
/// listed in `Fixtures/conformance-rejections.txt` is rejected with a located error.
@Suite struct ConformanceTests {
    static let corpus = FilePath.clean(repositoryRoot + "/../shared/conformance")

    /// Relative path → why the file must be rejected.
    static let rejections: [String: String] = {
        let path = repositoryRoot + "/Tests/ComposeSpecTests/Fixtures/conformance-rejections.txt"
        var result: [String: String] = [:]
        for line in ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n") {
            let text = line.trimmingCharacters(in: .whitespaces)
            guard !text.isEmpty, !text.hasPrefix("#") else { continue }
            let parts = text.split(separator: "#", maxSplits: 1)
            result[parts[0].trimmingCharacters(in: .whitespaces)] = parts.count > 1
                ? parts[1].trimmingCharacters(in: .whitespaces) : ""
        }
        return result
    }()

    static let files: [String] = {
        guard let walker = FileManager.default.enumerator(atPath: corpus) else { return [] }
        var files: [String] = []
        while let path = walker.nextObject() as? String {
            guard path.hasSuffix(".yml") || path.hasSuffix(".yaml") else { continue }
            if path.hasPrefix("compose-spec/") || path.hasSuffix(".expected.yaml") { continue }
            files.append(path)
        }
        return files.sorted()
    }()

    @Test("the corpus is there and holds hundreds of compose files")
    func corpusPresent() {
        #expect(Self.files.count > 450, "expected the shared conformance corpus at \(Self.corpus)")
        for listed in Self.rejections.keys {
            #expect(Self.files.contains(listed), "rejection list names a file not in the corpus: \(listed)")
        }
    }

    @Test("every valid file loads and round-trips; every invalid one is rejected with a location")
    func corpus() throws {
        var failures: [String] = []
        for file in Self.files {
            let directory = FilePath.directory(of: Self.corpus + "/" + file)
            var options = ComposeLoader.Options(environment: ["HOME": "/home/user"], workingDirectory: directory)
            // A main file next to an override file is loaded as compose discovers it.
            let name = FilePath.lastComponent(of: file)
            let hasOverride = FileManager.default.fileExists(atPath: directory + "/" + name.replacingOccurrences(of: "compose.", with: "compose.override."))
            if !(hasOverride && ["compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"].contains(name)) {
                options.files = [Self.corpus + "/" + file]
            }
            let result = Result(catching: { try ComposeLoader(options: options).load() })
            if let reason = Self.rejections[file] {
                switch result {
                case .success:
                    failures.append("\(file): loaded, but must be rejected (\(reason))")
                case .failure(let error as ComposeError):
                    if error.location.file.isEmpty {
                        failures.append("\(file): rejected without a location: \(error)")
                    }
                case .failure(let error):
                    failures.append("\(file): rejected with a non-compose error: \(error)")
                }
                continue
            }
            switch result {
            case .failure(let error):
                failures.append("\(file): \(error)")
            case .success(let loaded):
                if let problem = Self.roundTrip(loaded.project, directory: directory) {
                    failures.append("\(file): \(problem)")
                }
            }
        }
        #expect(failures.isEmpty, "\(failures.count) of \(Self.files.count) files:\n\(failures.joined(separator: "\n"))")
    }

    /// `config` output, loaded again, must give the same project.
    static func roundTrip(_ project: Project, directory: String) -> String? {
        do {
            let text = YAMLEmitter.emit(try ProjectEncoding.node(of: project, escapingDollars: true))
            var options = ComposeLoader.Options(environment: ["HOME": "/home/user"], workingDirectory: directory)
            options.files = ["-"]
            options.projectDirectory = project.workingDirectory
            options.readStandardInput = { Array(text.utf8) }
            var again = try ComposeLoader(options: options).load().project
            again.composeFiles = project.composeFiles
            again.environment = project.environment
            again.disabledServices = project.disabledServices
            again.activeProfiles = project.activeProfiles
            if again != project {
                let differing = project.services.keys.filter { again.services[$0] != project.services[$0] }
                return "config output loads to a different project (services differ: \(differing.sorted()))"
            }
            return nil
        } catch {
            return "config output does not load again: \(error)"
        }
    }
}

extension Result where Failure == any Error {
    init(catching body: () throws -> Success) {
        do { self = .success(try body()) } catch { self = .failure(error) }
    }
}

/// Cases of the corpus that are two files loaded together (`-f base -f override`).
@Suite struct ConformanceMultiFileTests {
    static let base = ConformanceTests.corpus + "/podman-compose/merge/reset_and_override_tags"

    func load(_ directory: String, _ files: [String]) throws -> Project {
        var options = ComposeLoader.Options(environment: [:], workingDirectory: Self.base + "/" + directory)
        options.files = files
        return try ComposeLoader(options: options).load().project
    }

    @Test("!override replaces ports and depends_on of the base file")
    func overrideTag() throws {
        let project = try load("override_tag_attribute", ["docker-compose.yaml", "docker-compose.override_attribute.yaml"])
        let app = try #require(project.services["app"])
        #expect(app.ports?.map(\.published) == ["8111"])
        #expect(app.dependsOn.map { Array($0.keys) } == ["other_db"])
        #expect(app.command == ["/bin/busybox", "echo", "One"])
    }

    @Test("!reset removes command and depends_on of the base file")
    func resetTag() throws {
        let project = try load("reset_tag_attribute", ["docker-compose.yaml", "docker-compose.reset_attribute.yaml"])
        let app = try #require(project.services["app"])
        #expect(app.command == nil)
        #expect(app.dependsOn == nil)
    }
}
