import ArgumentParser
import Images

/// `berth image prune`: removes dangling images (all unused with `--all`) and every blob and
/// layer directory no remaining image references, and what interrupted pulls left behind.
struct ImagePrune: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove unused images, blobs and layers.")

    @OptionGroup var store: ImageStoreOptions
    @Flag(name: .shortAndLong, help: "Remove all images, not only dangling ones.") var all = false

    func run() throws {
        // Images containers use, stopped ones too, keep their blobs and layers.
        let inUse = Set(try store.containersByImage().keys)
        let report = try store.openStore().prune(all: all, inUse: inUse)
        for image in report.removedImages { print("Deleted: \(image)") }
        print("Removed \(report.removedBlobs) blobs, \(report.removedLayers) layers and \(report.temporaryFiles.entries) temporary files; "
              + "reclaimed \(ImageFormat.size(report.reclaimedBytes))")
    }
}
