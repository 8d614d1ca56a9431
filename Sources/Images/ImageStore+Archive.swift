import Foundation
import OCISpec

/// One image of a `docker save` archive (`manifest.json` is a list of these).
struct DockerArchiveManifest: Codable {
    var config: String
    var repoTags: [String]?
    var layers: [String]

    enum CodingKeys: String, CodingKey {
        case config = "Config"
        case repoTags = "RepoTags"
        case layers = "Layers"
    }
}

extension ImageStore {
    /// Imports the images of an offline source and names them. Returns the records created.
    /// `platform` picks the manifest out of multi-platform indexes.
    public func importImages(from source: ImageSource, platform: Platform = .current) throws(ImageError) -> [ImageRecord] {
        try withStoreLock(exclusive: false) { () throws(ImageError) in try importLocked(from: source, platform: platform) }
    }

    private func importLocked(from source: ImageSource, platform: Platform) throws(ImageError) -> [ImageRecord] {
        switch source {
        case .registry(let reference):
            throw ImageError(.invalidReference, reference.description, "not an archive or layout; pull it instead")
        case .ociLayout(let path, let tag):
            return try importOCILayout(URL(fileURLWithPath: path), tag: tag, platform: platform, source: path)
        case .ociArchive(let path, let tag):
            return try withExtractedArchive(URL(fileURLWithPath: path)) { (directory) throws(ImageError) in
                try importOCILayout(directory, tag: tag, platform: platform, source: path)
            }
        case .dockerArchive(let path):
            return try withExtractedArchive(URL(fileURLWithPath: path)) { (directory) throws(ImageError) in
                try importDockerArchive(directory, source: path)
            }
        }
    }

    /// `image load`: a docker-archive when the tar has `manifest.json`, else an OCI archive.
    public func load(archive: URL, platform: Platform = .current) throws(ImageError) -> [ImageRecord] {
        try withStoreLock(exclusive: false) { () throws(ImageError) in
            try withExtractedArchive(archive) { (directory) throws(ImageError) in
                if FileSystem.exists(directory.appendingPathComponent("manifest.json")) {
                    return try importDockerArchive(directory, source: archive.path)
                }
                return try importOCILayout(directory, tag: nil, platform: platform, source: archive.path)
            }
        }
    }

    private func withExtractedArchive<T>(_ archive: URL, _ body: (URL) throws(ImageError) -> T) throws(ImageError) -> T {
        guard FileSystem.exists(archive) else {
            throw ImageError(.imageNotFound, archive.path, "archive does not exist")
        }
        let scratch = try content.scratch("import")
        defer { content.discardScratch(scratch) }
        _ = try LayerUnpacker(mode: .plain, restoreOwners: false).unpack(archive: archive, into: scratch)
        return try body(scratch)
    }

    private func importOCILayout(_ directory: URL, tag: String?, platform: Platform, source: String) throws(ImageError) -> [ImageRecord] {
        let indexURL = directory.appendingPathComponent("index.json")
        guard FileSystem.exists(indexURL) else {
            throw ImageError(.invalidContent, directory.path, "not an OCI image layout: index.json is missing")
        }
        let index = try decode(ImageIndex.self, FileSystem.read(indexURL), what: indexURL.path)
        var entries = index.manifests
        if let tag {
            entries = entries.filter { entry in
                let name = entry.annotations?[Descriptor.refNameAnnotation]
                return name == tag || entry.annotations?[Descriptor.imageNameAnnotation] == tag
            }
            guard !entries.isEmpty else {
                throw ImageError(.imageNotFound, "\(directory.path):\(tag)", "image not found: no entry named \(tag) in the layout")
            }
        }
        var imported: [ImageRecord] = []
        for entry in entries {
            let manifest = try copyManifest(entry, from: directory, platform: platform)
            let reference = Self.name(of: entry, tag: tag, source: source, alone: entries.count == 1)
            try self.tag(manifest, as: reference)
            imported.append(ImageRecord(reference: reference, manifest: manifest))
        }
        return imported
    }

    /// The name an image from an OCI layout gets in the store, after podman's rules:
    /// 1. a full name in the entry's annotations (containerd's `io.containerd.image.name`, or a
    ///    `ref.name` that is a full name such as `example.com/app:1`);
    /// 2. else `localhost/<source>:<tag>`, the tag being the entry's `ref.name` (the usual bare
    ///    tag, `1.0`), else the one given (`oci:DIR:tag`), else `latest` when the layout holds
    ///    only this image;
    /// 3. else none: the image is listed by ID as `<none>`, as podman lists it.
    /// `<source>` is the last component of the directory or archive path, without an archive
    /// extension, lowercased, other characters runs made one `-` (`oci-archive:/tmp/My App.tar` →
    /// `localhost/my-app`). Podman uses the whole path for `oci:`; one component keeps
    /// `image ls` readable, and two directories with the same name only retag each other, which
    /// leaves the containers of either on their own image ID.
    static func name(of entry: Descriptor, tag: String?, source: String, alone: Bool) -> ImageReference? {
        let candidates = [entry.annotations?[Descriptor.imageNameAnnotation], entry.annotations?[Descriptor.refNameAnnotation]]
        for case let text? in candidates where text.contains("/") {
            if let reference = try? ImageReference(parsing: text) { return reference }
        }
        let refName = entry.annotations?[Descriptor.refNameAnnotation].flatMap { isTag($0) ? $0 : nil }
        guard let chosen = refName ?? tag.flatMap({ isTag($0) ? $0 : nil }) ?? (alone ? "latest" : nil) else { return nil }
        return try? ImageReference(parsing: "localhost/\(repositoryName(fromPath: source)):\(chosen)")
    }

    /// A docker tag: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
    static func isTag(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, text.count <= 128 else { return false }
        func word(_ c: Unicode.Scalar) -> Bool { c.isASCII && (CharacterSet.alphanumerics.contains(c) || c == "_") }
        return word(first) && text.unicodeScalars.allSatisfy { word($0) || $0 == "." || $0 == "-" }
    }

    /// The last path component, without archive extensions, as a repository name component.
    static func repositoryName(fromPath path: String) -> String {
        var base = URL(fileURLWithPath: path).standardizedFileURL.lastPathComponent.lowercased()
        for suffix in [".tar.gz", ".tar.zst", ".tgz", ".tar", ".oci"] where base.hasSuffix(suffix) {
            base = String(base.dropLast(suffix.count))
            break
        }
        // Every run of other characters becomes one '-' between letters and digits, which
        // ImageReference accepts whatever the run was.
        var name = ""
        var separated = false
        for scalar in base.unicodeScalars {
            guard (scalar >= "a" && scalar <= "z") || (scalar >= "0" && scalar <= "9") else {
                separated = true
                continue
            }
            if separated, !name.isEmpty { name.append("-") }
            separated = false
            name.unicodeScalars.append(scalar)
        }
        return name.isEmpty ? "image" : name
    }

    /// Copies a manifest (resolving an index to `platform`), its config and its layers into the
    /// store, verifying each blob, and returns the descriptor of the single-platform manifest.
    private func copyManifest(_ entry: Descriptor, from directory: URL, platform: Platform) throws(ImageError) -> Descriptor {
        func blob(_ descriptor: Descriptor) throws(ImageError) {
            let file = directory.appendingPathComponent("blobs/\(descriptor.digest.algorithm.rawValue)/\(descriptor.digest.encoded)")
            guard FileSystem.exists(file) else {
                throw ImageError(.invalidContent, directory.path, "blob \(descriptor.digest) is missing from the layout")
            }
            try content.ingest(file: file, expected: descriptor, mediaType: descriptor.mediaType)
        }
        if entry.mediaType.isIndex {
            try blob(entry)
            let index = try content.readJSON(ImageIndex.self, entry.digest)
            guard let chosen = index.manifest(for: platform) else {
                throw ImageError(.noMatchingPlatform, entry.digest.description,
                                 "no manifest for \(platform) (has: \(index.manifests.compactMap { $0.platform?.description }.joined(separator: ", ")))")
            }
            return try copyManifest(chosen, from: directory, platform: platform)
        }
        guard entry.mediaType.isManifest else {
            throw ImageError(.unsupportedMediaType, entry.digest.description, "unsupported manifest media type \(entry.mediaType)")
        }
        try blob(entry)
        let manifest = try content.readJSON(ImageManifest.self, entry.digest)
        try blob(manifest.config)
        for layer in manifest.layers {
            guard layer.mediaType.layerCompression != nil else {
                throw ImageError(.unsupportedMediaType, layer.digest.description, "unsupported layer media type \(layer.mediaType)")
            }
            try blob(layer)
        }
        var descriptor = entry
        descriptor.annotations = nil
        descriptor.platform = nil
        return descriptor
    }

    private func importDockerArchive(_ directory: URL, source: String) throws(ImageError) -> [ImageRecord] {
        let manifestURL = directory.appendingPathComponent("manifest.json")
        let entries = try decode([DockerArchiveManifest].self, FileSystem.read(manifestURL), what: manifestURL.path)
        var imported: [ImageRecord] = []
        for entry in entries {
            let configFile = try contained(entry.config, in: directory)
            let config = try content.ingest(file: configFile, mediaType: .dockerConfig)
            let imageConfig = try content.readJSON(ImageConfig.self, config.digest)
            guard imageConfig.rootfs.diffIDs.count == entry.layers.count else {
                throw ImageError(.invalidContent, manifestURL.path,
                                 "\(entry.layers.count) layers listed, config has \(imageConfig.rootfs.diffIDs.count) diff IDs")
            }
            var layers: [Descriptor] = []
            for layer in entry.layers {
                let file = try contained(layer, in: directory)
                let compression = try Self.sniffCompression(file)
                let mediaType: MediaType = switch compression {
                case .gzip: .dockerLayerGzip
                case .zstd: .ociLayerZstd
                case .none: "application/vnd.docker.image.rootfs.diff.tar"
                }
                layers.append(try content.ingest(file: file, mediaType: mediaType))
            }
            let usesZstd = layers.contains { $0.mediaType == .ociLayerZstd }
            // Docker schema 2 has no zstd layer type; an image with one is described as OCI.
            let manifest = usesZstd
                ? ImageManifest(mediaType: .ociManifest, config: Descriptor(mediaType: .ociConfig, digest: config.digest, size: config.size),
                                layers: layers.map { layer in
                                    var layer = layer
                                    if layer.mediaType == .dockerLayerGzip { layer.mediaType = .ociLayerGzip }
                                    if layer.mediaType.layerCompression == LayerCompression.none { layer.mediaType = .ociLayerTar }
                                    return layer
                                })
                : ImageManifest(mediaType: .dockerManifest, config: Descriptor(mediaType: .dockerConfig, digest: config.digest, size: config.size),
                                layers: layers)
            let descriptor = try content.put(try encode(manifest), mediaType: manifest.mediaType ?? .dockerManifest)
            var names = (entry.repoTags ?? []).compactMap { try? ImageReference(parsing: $0) }
            // Without RepoTags (`docker save IMAGE-ID`), the only image of an archive is named
            // after it, as an OCI layout's is; one of several stays unnamed.
            if names.isEmpty, entries.count == 1,
               let generated = try? ImageReference(parsing: "localhost/\(Self.repositoryName(fromPath: source)):latest")
            {
                names = [generated]
            }
            if names.isEmpty {
                try tag(descriptor, as: nil)
                imported.append(ImageRecord(reference: nil, manifest: descriptor))
            }
            for name in names {
                try tag(descriptor, as: name)
                imported.append(ImageRecord(reference: name, manifest: descriptor))
            }
        }
        return imported
    }

    /// A path named inside an archive, refused if it would leave the extracted directory.
    private func contained(_ relative: String, in directory: URL) throws(ImageError) -> URL {
        let parts = try LayerUnpacker.components(of: relative, entry: relative)
        guard !parts.isEmpty else { throw ImageError(.invalidContent, relative, "empty path in manifest.json") }
        return directory.appendingPathComponent(parts.joined(separator: "/"))
    }

    static func sniffCompression(_ file: URL) throws(ImageError) -> LayerCompression {
        guard let handle = FileHandle(forReadingAtPath: file.path) else {
            throw ImageError(.io, file.path, "cannot open")
        }
        defer { try? handle.close() }
        let magic = [UInt8](handle.readData(ofLength: 4))
        if magic.starts(with: [0x1f, 0x8b]) { return .gzip }
        if magic == [0x28, 0xb5, 0x2f, 0xfd] { return .zstd }
        return .none
    }

    // MARK: export

    /// `image save`: writes the images as one tar that is both a docker-archive (`manifest.json`)
    /// and an OCI image layout (`index.json`, `blobs/`), as Docker 25 does, so `docker load`,
    /// `podman load` and `berth image load` all read it.
    public func save(_ records: [ImageRecord], to output: URL) throws(ImageError) {
        var blobs: [Digest] = []
        var dockerEntries: [DockerArchiveManifest] = []
        var indexEntries: [Descriptor] = []
        for record in records {
            let image = try details(record)
            for digest in [record.manifest.digest, image.manifest.config.digest] + image.manifest.layers.map(\.digest)
                where !blobs.contains(digest)
            {
                blobs.append(digest)
            }
            let path = { (digest: Digest) in "blobs/sha256/\(digest.encoded)" }
            let tags = records.filter { $0.manifest.digest == record.manifest.digest }.compactMap { $0.reference?.description }
            if !dockerEntries.contains(where: { $0.config == path(image.manifest.config.digest) }) {
                dockerEntries.append(DockerArchiveManifest(config: path(image.manifest.config.digest), repoTags: tags,
                                                           layers: image.manifest.layers.map { path($0.digest) }))
            }
            var entry = record.manifest
            if let name = record.reference {
                entry.annotations = [Descriptor.imageNameAnnotation: name.description,
                                     Descriptor.refNameAnnotation: name.tag ?? name.description]
            }
            indexEntries.append(entry)
        }
        let temporary = output.deletingLastPathComponent().appendingPathComponent(".\(output.lastPathComponent).\(UUID().uuidString).tmp")
        do {
            let writer = try TarWriter(path: temporary)
            try writer.addFile("oci-layout", contents: Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8))
            try writer.addFile("index.json", contents: try encode(ImageIndex(manifests: indexEntries)))
            try writer.addFile("manifest.json", contents: try encode(dockerEntries))
            try writer.addDirectory("blobs")
            try writer.addDirectory("blobs/sha256")
            for digest in blobs {
                try writer.addFile("blobs/sha256/\(digest.encoded)", from: content.blobURL(digest))
            }
            try writer.close()
            try FileSystem.publish(temporary, at: output)
        } catch {
            FileSystem.remove(temporary)
            throw error
        }
    }

    private func decode<T: Decodable>(_ type: T.Type, _ data: Data, what: String) throws(ImageError) -> T {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw ImageError(.invalidContent, what, "cannot decode \(type): \(error)")
        }
    }

    func encode<T: Encodable>(_ value: T) throws(ImageError) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return try encoder.encode(value)
        } catch {
            throw ImageError(.invalidContent, "\(T.self)", "cannot encode: \(error)")
        }
    }
}
