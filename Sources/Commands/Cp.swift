import ArgumentParser
import Engine
import EngineAPI
import Foundation
import Images

/// `berth cp SERVICE:SRC DEST` and `berth cp SRC SERVICE:DEST`, as `docker compose cp`: copies
/// files between a service container (the first, or `--index`) and the host. Running containers
/// are read and written through their live root, stopped ones through their layers; links in the
/// container are followed inside it, and a path that leaves its root is refused. `-` as the
/// destination writes the files as a tar stream to standard output; as the source, a tar stream
/// read from standard input is extracted into a directory of the container.
///
/// Rootless, the owners a tar stream carries are the host's view of the container's files (its
/// mapped IDs), not the container's own.
struct Cp: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cp", 
        abstract: "Copy files/folders between a service container and the local filesystem.",
        usage: "berth cp [OPTIONS] SERVICE:SRC_PATH DEST_PATH|-\n       berth cp [OPTIONS] SRC_PATH|- SERVICE:DEST_PATH")

    @OptionGroup var project: ProjectOptions

    @Flag(name: .shortAndLong, help: "Archive mode (copy all uid/gid information).")
    var archive = false

    @Option(name: .long, help: "Index of the container if service has multiple replicas.")
    var index = 1

    @Argument(help: "SERVICE:SRC_PATH or a host path.")
    var source: String

    @Argument(help: "A host path or SERVICE:DEST_PATH.")
    var destination: String

    /// `SERVICE:PATH` split in two; nil for a host path (an absolute or ./ path is never a service).
    static func servicePath(_ argument: String) -> (service: String, path: String)? {
        guard !argument.hasPrefix("/"), !argument.hasPrefix("."), let colon = argument.firstIndex(of: ":") else { return nil }
        let service = String(argument[..<colon]), path = String(argument[argument.index(after: colon)...])
        return service.isEmpty || path.isEmpty ? nil : (service, path)
    }

    func validate() throws {
        if index < 1 { throw ValidationError("--index must be 1 or more") }
        switch (Self.servicePath(source), Self.servicePath(destination)) {
        case (nil, nil): throw ValidationError("one of the paths must be SERVICE:PATH (a path in a service's container)")
        case (.some, .some): throw ValidationError("copying between containers is not supported: one path must be on the host")
        default: break
        }
    }

    func run() async throws {
        let loaded = try project.load()
        let (service, inside) = Self.servicePath(source) ?? Self.servicePath(destination) ?? ("", "")
        guard loaded.services[service] != nil else { throw CommandFailure("no such service: \(service)") }
        let session = try EngineSession()
        let observed = try await session.observe(project: loaded.name)
        guard let container = observed.containers.first(where: { !$0.isOneoff && $0.service == service && $0.number == index }) else {
            throw CommandFailure("service \"\(service)\" has no container #\(index): run `berth up -d \(service)` first")
        }
        let path = inside.hasPrefix("/") ? inside : "/" + inside
        do {
            let files = ContainerFiles(try session.engine.fileView(id: container.id), container: container.name)
            if destination == "-" {
                let writer = try TarWriter(fileDescriptor: STDOUT_FILENO, name: "standard output")
                try files.writeArchive(path, to: writer)
                try writer.close()
            } else if source == "-" {
                try Self.extractStandardInput(into: path, of: files, keepOwners: archive)
            } else if Self.servicePath(source) != nil {
                try files.copyOut(path, to: destination, archive: archive)
                Console.say("Copied \(container.name):\(path) to \(destination)")
            } else {
                try files.copyIn(source, to: path, archive: archive)
                Console.say("Copied \(source) to \(container.name):\(path)")
            }
        } catch {
            throw CommandFailure(message: "\(error)")
        }
    }

    /// Saves standard input to a private file first: the unpacker reads an archive file (and
    /// hashes it), and a broken stream then fails before anything in the container changes.
    static func extractStandardInput(into path: String, of files: ContainerFiles, keepOwners: Bool) throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("berth-cp-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: scratch + "/staging", withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let archive = scratch + "/stdin.tar"
        guard FileManager.default.createFile(atPath: archive, contents: nil, attributes: [.posixPermissions: 0o600]),
              let output = FileHandle(forWritingAtPath: archive) else {
            throw CommandFailure("cp: cannot create \(archive) to hold standard input")
        }
        defer { try? output.close() }
        while let chunk = try FileHandle.standardInput.read(upToCount: 1 << 20), !chunk.isEmpty { try output.write(contentsOf: chunk) }
        try output.close()
        try files.extractArchive(URL(fileURLWithPath: archive), into: path, staging: scratch + "/staging", keepOwners: keepOwners)
    }
}
