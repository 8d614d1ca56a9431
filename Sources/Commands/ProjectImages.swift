import ArgumentParser
import EngineAPI
import Foundation
import Images
import OCISpec

/// `berth images [SERVICE…]`, as `docker compose images`: the image each of the project's
/// containers was created from, with the name it has in the store. `berth image ls` lists the
/// whole store.
struct ProjectImages: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "images", abstract: "List images used by the created containers.")

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, json
    }

    @OptionGroup var project: ProjectOptions

    @Flag(name: .shortAndLong, help: "Only display IDs.")
    var quiet = false

    @Option(name: .long, help: "Format the output: table or json.")
    var format = Format.table

    @Argument(help: "Services whose images to list (default: all).")
    var serviceNames: [String] = []

    struct Row: Encodable {
        var ContainerName: String
        var Repository: String
        var Tag: String
        var ID: String
        var Size: Int64
    }

    func run() async throws {
        let name = try project.loadName()
        let session = try EngineSession()
        let observed = try await session.observe(project: name)
        let known = Set(observed.containers.compactMap(\.service))
        if let unknown = serviceNames.first(where: { !known.contains($0) }) {
            throw CommandFailure(message: "no such service: \(unknown)")
        }
        let containers = observed.containers
            .filter { serviceNames.isEmpty || serviceNames.contains($0.service ?? "") }
            .sorted { $0.name < $1.name }
        let store = try ImageStore(dataDirectory: URL(fileURLWithPath: session.engine.locations.data))
        // The store's names by image ID; the container's own reference first when it is one of them.
        var names: [String: [ImageReference]] = [:]
        var sizes: [String: Int64] = [:]
        for record in try store.records() {
            let details = try store.details(record)
            sizes[details.id.description] = details.size
            if let reference = record.reference { names[details.id.description, default: []].append(reference) }
        }
        let rows = containers.map { container -> Row in
            let candidates = names[container.imageID] ?? []
            let reference = candidates.first { $0.description == container.imageReference } ?? candidates.first
            return Row(ContainerName: container.name, Repository: reference?.name ?? "<none>", Tag: reference?.tag ?? "<none>",
                       ID: container.imageID, Size: sizes[container.imageID] ?? 0)
        }
        if quiet {
            var seen = Set<String>()
            for row in rows where seen.insert(row.ID).inserted { print(row.ID) }
            return
        }
        switch format {
        case .json:
            print(try ImageFormat.json(rows))
        case .table:
            print(ImageFormat.table(["CONTAINER", "REPOSITORY", "TAG", "IMAGE ID", "SIZE"], rows.map { row in
                [row.ContainerName, row.Repository, row.Tag, (try? Digest(parsing: row.ID))?.shortID ?? row.ID, ImageFormat.size(row.Size)]
            }))
        }
    }
}
