import ArgumentParser
import Images
import OCISpec

/// `berth image push NAME [DESTINATION]`: uploads an image, skipping blobs the registry has.
struct ImagePush: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "push", abstract: "Push an image to a registry.")

    @OptionGroup var store: ImageStoreOptions
    @Flag(name: .shortAndLong, help: "Print nothing but errors.") var quiet = false
    @Argument(help: "Local image name or ID.") var image: String
    @Argument(help: "Destination name (default: the image's own name).") var destination: String?

    func run() async throws {
        let store = try store.openStore()
        let target: ImageReference
        if let destination {
            target = try ImageReference(parsing: destination)
        } else if let own = try store.resolve(image).reference {
            target = own
        } else {
            throw CommandFailure("\(image): image has no name; give a destination")
        }
        let quiet = self.quiet
        try await ImagePusher(store: store).push(image, to: target) { event in
            guard !quiet else { return }
            switch event {
            case .blobExists(let digest): print("\(digest.shortID): already in the registry")
            case .blobUploaded(let digest, let size): print("\(digest.shortID): pushed \(ImageFormat.size(size))")
            case .pushed(let reference, let manifest): print("Pushed \(reference)@\(manifest)")
            }
        }
    }
}
