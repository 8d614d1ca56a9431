import ArgumentParser
import Images

/// `berth image inspect NAME…`: the names, manifest and config of each image as JSON.
struct ImageInspect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Show the manifest and configuration of images.")

    @OptionGroup var store: ImageStoreOptions
    @Argument(help: "Image names or IDs.") var images: [String]

    func run() throws {
        let store = try store.openStore()
        let all = try store.records()
        let found = try images.map { name in try store.details(try store.resolve(name)) }
        struct Inspection: Encodable {
            var id: String
            var names: [String]
            var manifestDigest: String
            var size: Int64
            var manifest: OCISpecManifest
            var config: OCISpecConfig
        }
        print(try ImageFormat.json(found.map { details in
            Inspection(id: details.id.description,
                       names: all.filter { $0.manifest.digest == details.record.manifest.digest }.compactMap { $0.reference?.description },
                       manifestDigest: details.record.manifest.digest.description, size: details.size,
                       manifest: details.manifest, config: details.config)
        }))
    }
}

import OCISpec
typealias OCISpecManifest = ImageManifest
typealias OCISpecConfig = ImageConfig
