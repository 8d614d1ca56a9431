import Foundation
import YAML

/// Which compose files make the project: `-f` values, else `COMPOSE_FILE`, else the first of
/// compose's file names found walking up from the working directory, with its override file.
enum ComposeFiles {
    static let names = ["compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"]
    static let overrideNames = ["compose.override.yaml", "compose.override.yml",
                                "docker-compose.override.yaml", "docker-compose.override.yml"]

    /// Absolute paths (or `-`), in order.
    static func resolve(options: ComposeLoader.Options) throws(ComposeError) -> [String] {
        let cwd = options.workingDirectory
        if !options.files.isEmpty {
            return try options.files.map { file throws(ComposeError) in
                if file == "-" { return file }
                let path = FilePath.join(cwd, file)
                guard FileManager.default.fileExists(atPath: path) else {
                    throw ComposeError(.notFound, at: .synthetic(file), path: "", "no such file")
                }
                return path
            }
        }
        // An empty list (`COMPOSE_FILE=` or `:`) counts as unset, as in compose.
        if let list = options.environment["COMPOSE_FILE"], !split(list, environment: options.environment).isEmpty {
            let base = options.projectDirectory.map { FilePath.join(cwd, $0) } ?? cwd
            return try split(list, environment: options.environment).map { file throws(ComposeError) in
                let path = FilePath.join(base, file)
                guard FileManager.default.fileExists(atPath: path) else {
                    throw ComposeError(.notFound, at: .synthetic("COMPOSE_FILE"), path: "", "no such file: \(file)")
                }
                return path
            }
        }
        var directory = options.projectDirectory.map { FilePath.join(cwd, $0) } ?? cwd
        while true {
            if let found = names.first(where: { FileManager.default.fileExists(atPath: directory + "/" + $0) }) {
                var files = [FilePath.join(directory, found)]
                if let override = overrideNames.first(where: { FileManager.default.fileExists(atPath: directory + "/" + $0) }) {
                    files.append(FilePath.join(directory, override))
                }
                return files
            }
            // Only the working directory itself is searched when --project-directory is given.
            if directory == "/" || options.projectDirectory != nil { break }
            directory = FilePath.directory(of: directory)
        }
        throw ComposeError(.notFound, at: .synthetic(cwd), path: "",
                           "no configuration file provided: none of \(names.joined(separator: ", ")) found here or in a parent directory")
    }

    /// `COMPOSE_FILE` is split on `COMPOSE_PATH_SEPARATOR`, by default `:`.
    static func split(_ list: String, environment: [String: String]) -> [String] {
        let separator = environment["COMPOSE_PATH_SEPARATOR"].flatMap(\.first) ?? ":"
        return list.split(separator: separator).map(String.init).filter { !$0.isEmpty }
    }
}

/// The variables interpolation sees: the shell environment over the env files.
enum ProjectEnvironment {
    static func load(shell: [String: String], envFiles: [String],
                     projectDirectory: String) throws(ComposeError) -> [String: String] {
        var files = envFiles
        var required = true
        if files.isEmpty {
            files = [projectDirectory + "/.env"]
            required = false
        }
        var environment: [String: String] = [:]
        for file in files {
            guard FileManager.default.fileExists(atPath: file) else {
                if required {
                    throw ComposeError(.notFound, at: .synthetic(file), path: "", "env file not found")
                }
                continue
            }
            for (key, value) in try readDotEnv(file, lookup: { shell[$0] ?? environment[$0] }) {
                environment[key] = value
            }
        }
        environment.merge(shell) { _, shellValue in shellValue }
        return environment
    }

    /// Parses a dotenv file; errors carry its line.
    static func readDotEnv(_ path: String, lookup: (String) -> String?) throws(ComposeError) -> [(key: String, value: String)] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ComposeError(.io, at: .synthetic(path), path: "", "cannot read the env file")
        }
        guard data.count <= ComposeLoader.maxFileBytes else {
            throw ComposeError(.invalidValue, at: .synthetic(path), path: "", "env file is too large")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ComposeError(.invalidValue, at: SourceLocation(file: path, line: 1, column: 1), path: "",
                               "env file is not valid UTF-8")
        }
        do {
            return try DotEnv.parse(text, lookup: lookup)
        } catch {
            throw ComposeError(.invalidValue, at: SourceLocation(file: path, line: error.line, column: 1), path: "",
                               error.message)
        }
    }
}

/// The project name: `-p`, then `COMPOSE_PROJECT_NAME`, then the top-level `name`, then the
/// project directory's name, normalized.
enum ProjectNaming {
    static func name(options: ComposeLoader.Options, environment: [String: String], nameNode: YAMLNode?,
                     projectDirectory: String) throws(ComposeError) -> String {
        if let name = options.projectName, !name.isEmpty {
            return try checked(name, at: .synthetic("-p"), path: "")
        }
        if let name = environment["COMPOSE_PROJECT_NAME"], !name.isEmpty {
            return try checked(name, at: .synthetic("COMPOSE_PROJECT_NAME"), path: "")
        }
        if let node = nameNode, let name = node.scalarText, !node.isNullScalar, !name.isEmpty {
            return try checked(name, at: node.location, path: "name")
        }
        let derived = ProjectName.normalize(FilePath.lastComponent(of: projectDirectory))
        guard !derived.isEmpty else {
            throw ComposeError(.invalidValue, at: .synthetic(projectDirectory), path: "",
                               "cannot derive a project name from the directory; set one with -p or `name:`")
        }
        return derived
    }

    private static func checked(_ name: String, at location: SourceLocation, path: String) throws(ComposeError) -> String {
        guard ProjectName.isValid(name) else {
            throw ComposeError(.invalidValue, at: location, path: path,
                               "invalid project name \"\(name)\": use lowercase letters, digits, dashes and underscores, starting with a letter or digit")
        }
        return name
    }
}
