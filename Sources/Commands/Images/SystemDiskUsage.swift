import ArgumentParser
import Foundation
import Images

/// `berth system …`. Only `df` so far; other nouns' maintenance verbs can join here.
struct SystemCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "system", abstract: "Manage Berth's data.",
                                                    subcommands: [SystemDiskUsage.self])
}

/// `berth system df`: space used by images (blobs), unpacked layers and temporary files, and how much
/// is reclaimable.
struct SystemDiskUsage: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "df", abstract: "Show disk usage.")

    @OptionGroup var store: ImageStoreOptions

    func run() throws {
        let store = try store.openStore()
        let usage = try store.diskUsage()
        print(ImageFormat.table(["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"], [
            ["Images", "\(usage.images)", "\(usage.namedImages)", ImageFormat.size(usage.blobBytes), ImageFormat.size(usage.reclaimableBlobBytes)],
            ["Layers", "\(usage.layers)", "\(usage.layersInUse)", ImageFormat.size(usage.layerBytes), ImageFormat.size(usage.reclaimableLayerBytes)],
            // ACTIVE here: entries a prune would keep (recent, or a pull's locked partial).
            ["Temporary", "\(usage.temporaryEntries)", "\(usage.temporaryEntries - usage.reclaimableTemporaryEntries)",
             ImageFormat.size(usage.temporaryBytes), ImageFormat.size(usage.reclaimableTemporaryBytes)],
        ]))
    }
}
