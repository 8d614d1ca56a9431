import ArgumentParser
import Foundation
import Images
import OCISpec

/// `berth image pull NAME…`: from a registry, or from `oci:`, `oci-archive:`, `docker-archive:`.
struct ImagePull: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pull", abstract: "Pull images from a registry or an archive.")

    @OptionGroup var store: ImageStoreOptions
    @Option(name: .long, help: "Platform to pull from multi-platform images (os/arch[/variant]).") var platform: String?
    @Option(name: .long, help: "always, missing, never, daily, weekly or every_<duration>.") var policy = "always"
    @Flag(name: .shortAndLong, help: "Print nothing but errors.") var quiet = false
    @Argument(help: "Image names or transports (oci-archive:PATH[:tag], oci:DIR[:tag], docker-archive:PATH).") var images: [String]

    func validate() throws {
        if images.isEmpty { throw ValidationError("name at least one image to pull") }
        if let platform { _ = try Platform(parsing: platform) }
        _ = try PullPolicy(parsing: policy)
    }

    func run() async throws {
        let store = try store.openStore()
        let target = try platform.map { try Platform(parsing: $0) } ?? .current
        let puller = ImagePuller(store: store, platform: target)
        var references: [ImageReference] = []
        for image in images {
            switch try ImageSource(parsing: image) {
            case .registry:
                references.append(try puller.reference(for: image.hasPrefix("docker://") ? String(image.dropFirst(9)) : image))
            case let offline:
                let records = try store.importImages(from: offline, platform: target)
                try unpackImported(records, in: store)
                for record in records where !quiet {
                    print("Imported \(record.reference?.description ?? record.manifest.digest.description)")
                }
            }
        }
        let printer = PullProgressPrinter(quiet: quiet)
        let results = await puller.pull(references, policy: try PullPolicy(parsing: policy), events: printer.handle)
        let failures = results.compactMap(\.error)
        if !failures.isEmpty { throw CommandFailure(failures.map(\.description).joined(separator: "\n")) }
        if !quiet { for result in results { if let record = result.record { print(record.reference?.description ?? "") } } }
    }
}
