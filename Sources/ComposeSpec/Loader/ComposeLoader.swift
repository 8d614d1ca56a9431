import Foundation
import YAML

/// Loads a compose project as `docker compose` does, in written-down phases:
///
/// 1. find the files (`-f`, `COMPOSE_FILE`, or discovery walking up) and the project directory;
/// 2. read the environment (shell over `--env-file`s or the project's `.env`);
/// 3. per file: parse → interpolate → make paths absolute → `include`;
/// 4. merge the files in order; resolve `extends`;
/// 5. choose services by profile;
/// 6. decode into typed values (strict keys, every error located);
/// 7. validate references and cycles;
/// 8. normalize (default network, resource names, `env_file` and `label_file` contents).
public struct ComposeLoader: Sendable {
    public struct Options: Sendable {
        /// `-f` values as the user gave them (`-` is standard input).
        public var files: [String] = []
        public var projectDirectory: String?
        public var projectName: String?
        public var envFiles: [String] = []
        /// `--profile` values.
        public var profiles: [String] = []
        /// Services named on the command line: their profiles are enabled, with their dependencies.
        public var services: [String] = []
        /// The shell environment.
        public var environment: [String: String]
        /// The directory relative paths on the command line are relative to.
        public var workingDirectory: String
        public var interpolate = true
        public var normalize = true
        public var resolvePaths = true
        /// Cross-reference checks (undefined networks, cycles, network_mode with networks…);
        /// off only for tests that compare with compose-go's, which skip them the same way.
        public var consistencyChecks = true
        /// Reads standard input for `-f -`.
        public var readStandardInput: @Sendable () -> [UInt8] = { [] }

        public init(environment: [String: String], workingDirectory: String) {
            self.environment = environment
            self.workingDirectory = workingDirectory
        }
    }

    /// A loaded project with the warnings the user should see.
    public struct Loaded: Sendable {
        public var project: Project
        public var warnings: [ComposeError]
    }

    public let options: Options

    public init(options: Options) { self.options = options }

    /// Largest compose or env file read (a compose file is text a person wrote).
    static let maxFileBytes = 16 << 20

    public func load() throws(ComposeError) -> Loaded {
        var state = LoadState(options: options)
        return try state.load()
    }

    /// The project's name alone: phases 1 and 2 and the top-level `name:` of each file, without
    /// interpolating, merging or decoding the rest. For commands that need only the name to find
    /// the project's state (`ps`), where a full load would be most of their time.
    public func loadName() throws(ComposeError) -> String {
        var state = LoadState(options: options)
        return try state.prologue().name
    }
}

/// The work of one `load()`: the files read so far (for `extends` and `include`) and the warnings.
struct LoadState {
    let options: ComposeLoader.Options
    var warnings: [ComposeError] = []
    /// Parsed documents by absolute path, so a file extended twice is read once.
    var documents: [String: YAMLNode] = [:]

    init(options: ComposeLoader.Options) { self.options = options }

    /// Phases 1 and 2 and the name: what every load starts with.
    struct Prologue {
        var files: [String]
        var projectDirectory: String
        var environment: [String: String]
        var name: String
    }

    mutating func prologue() throws(ComposeError) -> Prologue {
        let cwd = options.workingDirectory
        var files = try ComposeFiles.resolve(options: options)
        guard let firstFile = files.first else {
            throw ComposeError(.notFound, at: .synthetic(cwd), path: "", "no configuration file provided")
        }
        let projectDirectory = options.projectDirectory.map { FilePath.join(cwd, $0) }
            ?? (firstFile == "-" ? cwd : FilePath.directory(of: firstFile))
        let environment = try ProjectEnvironment.load(
            shell: options.environment, envFiles: options.envFiles.map { FilePath.join(cwd, $0) },
            projectDirectory: projectDirectory)
        // COMPOSE_FILE may come from the project's .env when no -f was given.
        if options.files.isEmpty, options.environment["COMPOSE_FILE"] == nil,
           let fromDotEnv = environment["COMPOSE_FILE"] {
            let listed = ComposeFiles.split(fromDotEnv, environment: environment).map { FilePath.join(projectDirectory, $0) }
            if !listed.isEmpty { files = listed }
        }

        // The name comes first: compose offers it to interpolation as COMPOSE_PROJECT_NAME.
        var nameNode: YAMLNode?
        for file in files {
            if let node = try parse(file)["name"] { nameNode = node }
        }
        if let node = nameNode, options.interpolate {
            nameNode = try NodeInterpolation(interpolator: Interpolator(lookup: { environment[$0] }))
                .apply(node, path: ComposePath.root.appending("name"))
        }
        let name = try ProjectNaming.name(options: options, environment: environment, nameNode: nameNode,
                                          projectDirectory: projectDirectory)
        return Prologue(files: files, projectDirectory: projectDirectory, environment: environment, name: name)
    }

    mutating func load() throws(ComposeError) -> ComposeLoader.Loaded {
        let cwd = options.workingDirectory
        let head = try prologue()
        let (files, projectDirectory, environment, name) = (head.files, head.projectDirectory, head.environment, head.name)
        var interpolationEnvironment = environment
        if interpolationEnvironment["COMPOSE_PROJECT_NAME"] == nil {
            interpolationEnvironment["COMPOSE_PROJECT_NAME"] = name
        }

        let context = FileContext(projectDirectory: projectDirectory, environment: interpolationEnvironment)
        var merged: YAMLNode?
        var includeStack: [String] = []
        for file in files {
            let document = try readDocument(file, context: context, includeStack: &includeStack)
            merged = merged.map { NodeMerge.merge($0, document, path: []) ?? document } ?? NodeMerge.stripTags(document)
        }
        guard var document = merged else {
            throw ComposeError(.notFound, at: .synthetic(cwd), path: "", "no configuration file provided")
        }
        document = try Extends.resolve(in: document, state: &self, context: context)

        var project = try ProjectDecoder.decode(document, name: name, projectDirectory: projectDirectory,
                                                warnings: &warnings)
        project.composeFiles = files
        project.environment = environment
        try Profiles.apply(to: &project, document: document, options: options, environment: environment)
        if options.consistencyChecks {
            try Validation.validate(project, document: document, warnings: &warnings)
        }
        try Normalization.apply(to: &project, document: document, addDefaults: options.normalize)
        warnings += UnsupportedKeys.warnings(for: document, project: project)
        return ComposeLoader.Loaded(project: project, warnings: warnings)
    }

    /// Reads a file of the project (or one it includes or extends): parse, interpolate, resolve
    /// paths against `context.projectDirectory`, then splice in its `include`s.
    mutating func readDocument(_ file: String, context: FileContext,
                               includeStack: inout [String]) throws(ComposeError) -> YAMLNode {
        var document = try parse(file)
        if options.interpolate {
            let environment = context.environment
            let interpolator = Interpolator(lookup: { environment[$0] })
            document = try NodeInterpolation(interpolator: interpolator).apply(document, path: .root)
        }
        if options.resolvePaths {
            document = PathResolution(baseDirectory: context.projectDirectory, home: options.environment["HOME"])
                .resolveDocument(document)
        }
        if document["include"] != nil {
            includeStack.append(file)
            document = try Include.apply(to: document, file: file, state: &self, context: context,
                                         includeStack: &includeStack)
            includeStack.removeLast()
        }
        return document
    }

    /// Parses one file (once: a file extended twice is read once); the top level must be a mapping.
    mutating func parse(_ file: String) throws(ComposeError) -> YAMLNode {
        if let cached = documents[file] { return cached }
        let bytes = try read(file)
        var parsed: YAMLNode?
        do {
            // Several documents in one file merge in order, like several files (compose-go does so).
            for document in try YAMLParser.parseDocuments(bytes, file: displayName(file)) {
                parsed = parsed.map { NodeMerge.merge($0, document, path: []) ?? document } ?? document
            }
        } catch {
            throw ComposeError(.yaml, at: error.location, path: "", error.message)
        }
        guard let root = parsed, !root.isNullScalar else {
            throw ComposeError(.invalidValue, at: SourceLocation(file: displayName(file), line: 1, column: 1), path: "",
                               "empty compose file")
        }
        guard root.mappingPairs != nil else {
            throw ComposeError(.invalidType, at: root.location, path: "",
                               "the top level must be a mapping, not \(root.kindDescription)")
        }
        documents[file] = root
        return root
    }

    func read(_ file: String) throws(ComposeError) -> [UInt8] {
        if file == "-" { return options.readStandardInput() }
        guard let handle = FileHandle(forReadingAtPath: file) else {
            let exists = FileManager.default.fileExists(atPath: file)
            throw ComposeError(exists ? .io : .notFound, at: .synthetic(displayName(file)), path: "",
                               exists ? "cannot read the file (permission denied?)" : "no such file")
        }
        defer { try? handle.close() }
        do {
            guard let data = try handle.read(upToCount: ComposeLoader.maxFileBytes + 1) else { return [] }
            if data.count > ComposeLoader.maxFileBytes {
                throw ComposeError(.invalidValue, at: .synthetic(displayName(file)), path: "",
                                   "file is larger than \(ComposeLoader.maxFileBytes >> 20) MiB; a compose file this big is not a compose file")
            }
            return [UInt8](data)
        } catch let error as ComposeError {
            throw error
        } catch {
            throw ComposeError(.io, at: .synthetic(displayName(file)), path: "", "cannot read the file: \(error)")
        }
    }

    /// Paths under the working directory are shown relative to it, as the user typed them.
    func displayName(_ file: String) -> String {
        if file == "-" { return "<stdin>" }
        let prefix = options.workingDirectory.hasSuffix("/") ? options.workingDirectory : options.workingDirectory + "/"
        return file.hasPrefix(prefix) ? String(file.dropFirst(prefix.count)) : file
    }
}

/// What a file's values are resolved against: its project directory and environment.
struct FileContext {
    var projectDirectory: String
    var environment: [String: String]
}
