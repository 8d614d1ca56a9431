import ComposeSpec
import Foundation

/// A throw-away project directory with the given files, for loader tests.
struct TestProject {
    let directory: String

    init(_ files: [String: String]) throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("berth-test-\(UUID().uuidString)").path
        for (path, text) in files {
            let full = directory + "/" + path
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: full))
        }
    }

    func options(_ files: [String] = [], environment: [String: String] = [:],
                 in subdirectory: String = "") -> ComposeLoader.Options {
        var options = ComposeLoader.Options(environment: environment,
                                            workingDirectory: subdirectory.isEmpty ? directory : directory + "/" + subdirectory)
        options.files = files
        return options
    }

    func load(_ files: [String] = [], environment: [String: String] = [:],
              configure: (inout ComposeLoader.Options) -> Void = { _ in }) throws -> ComposeLoader.Loaded {
        var options = options(files, environment: environment)
        configure(&options)
        return try ComposeLoader(options: options).load()
    }

    /// The error a load fails with; nil when it loads.
    func error(_ files: [String] = [], environment: [String: String] = [:]) -> ComposeError? {
        do {
            _ = try load(files, environment: environment)
            return nil
        } catch let error as ComposeError {
            return error
        } catch {
            return ComposeError(.io, at: .synthetic("test"), path: "", "unexpected \(error)")
        }
    }
}

/// The repository root, from this file's path.
let repositoryRoot: String = {
    var path = #filePath
    for _ in 0..<3 { path = (path as NSString).deletingLastPathComponent }
    return path
}()
