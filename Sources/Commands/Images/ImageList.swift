import ArgumentParser
import Foundation
import Images

/// `berth image ls`: one row per name, dangling images as `<none>`. (`berth images` is compose's:
/// the images the project's containers use, `ProjectImages`.)
struct ImageList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List images.", aliases: ["list"])

    @OptionGroup var store: ImageStoreOptions
    @Flag(name: .shortAndLong, help: "Show only image IDs.") var quiet = false
    @Flag(name: .long, help: "Show full image IDs.") var noTrunc = false
    @Option(name: .long, help: "Output format: table or json.") var format = "table"

    func run() throws {
        try Self.render(store: store, quiet: quiet, noTrunc: noTrunc, format: format)
    }

    static func render(store: ImageStoreOptions, quiet: Bool, noTrunc: Bool, format: String) throws {
        let images = try store.openStore()
        let rows = try images.records().map { record in (record, try images.details(record)) }
        if quiet {
            var seen = Set<String>()
            for (_, details) in rows where seen.insert(details.id.description).inserted {
                print(noTrunc ? details.id.description : details.id.shortID)
            }
            return
        }
        if format == "json" {
            struct Row: Encodable { var name: String?; var id: String; var manifest: String; var created: String?; var size: Int64 }
            print(try ImageFormat.json(rows.map { record, details in
                Row(name: record.reference?.description, id: details.id.description, manifest: record.manifest.digest.description,
                    created: details.config.created, size: details.size)
            }))
            return
        }
        print(ImageFormat.table(["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"], rows.map { record, details in
            [record.reference?.name ?? "<none>", record.reference?.tag ?? "<none>",
             noTrunc ? details.id.description : details.id.shortID, ImageFormat.age(details.config.created),
             ImageFormat.size(details.size)]
        }))
    }
}
