import ArgumentParser
import Images
import OCISpec

/// `berth image tag SOURCE TARGET`: another name for the same image.
struct ImageTag: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tag", abstract: "Give an image another name.")

    @OptionGroup var store: ImageStoreOptions
    @Argument(help: "Existing image name or ID.") var source: String
    @Argument(help: "New name, e.g. registry.example.com/team/app:1.2.") var target: String

    func run() throws {
        let store = try store.openStore()
        let record = try store.resolve(source)
        try store.tag(record.manifest, as: try ImageReference(parsing: target))
    }
}
