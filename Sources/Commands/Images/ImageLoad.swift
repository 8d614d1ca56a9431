import ArgumentParser
import Foundation
import Images

/// `berth image load -i FILE`: imports a `docker save` or OCI archive (compressed or not).
struct ImageLoad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "load", abstract: "Load images from a docker-archive or oci-archive file.")

    @OptionGroup var store: ImageStoreOptions
    @Option(name: .shortAndLong, help: "Archive to read.") var input: String

    func run() throws {
        let store = try store.openStore()
        let records = try store.load(archive: URL(fileURLWithPath: input))
        try unpackImported(records, in: store)
        for record in records {
            print("Loaded image: \(record.reference?.description ?? record.manifest.digest.description)")
        }
    }
}
