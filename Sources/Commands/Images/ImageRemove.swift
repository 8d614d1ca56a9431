import ArgumentParser
import Images

/// `berth image rm NAME…`: removes names (or whole images by ID). Blobs go at the next prune. An
/// image a container uses (any project, running or not) stays unless `--force`.
struct ImageRemove: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove images.", aliases: ["remove", "rmi"])

    @OptionGroup var store: ImageStoreOptions
    @Flag(name: .shortAndLong, help: "Remove even if a container uses the image.") var force = false
    @Argument(help: "Image names or IDs.") var images: [String]

    func run() throws {
        let usedBy = try store.containersByImage()
        let store = try store.openStore()
        var failures: [String] = []
        for image in images {
            do {
                for name in try store.remove(image, force: force, usedBy: usedBy) { print("Untagged: \(name)") }
            } catch {
                failures.append("\(error)")
            }
        }
        if !failures.isEmpty { throw CommandFailure(failures.joined(separator: "\n")) }
    }
}
