import ArgumentParser
import Foundation
import Images

/// `berth image save -o FILE NAME…`: writes a tar that docker, podman and Berth all load.
struct ImageSave: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "save", abstract: "Save images to an archive (docker-archive and OCI layout in one).")

    @OptionGroup var store: ImageStoreOptions
    @Option(name: .shortAndLong, help: "File to write.") var output: String
    @Argument(help: "Image names or IDs.") var images: [String]

    func validate() throws {
        if images.isEmpty { throw ValidationError("name at least one image to save") }
    }

    func run() throws {
        let store = try store.openStore()
        let records = try images.map { try store.resolve($0) }
        try store.save(records, to: URL(fileURLWithPath: output))
    }
}
