import ArgumentParser
import Foundation
import Images

/// `berth system …`. Only `df` so far; other nouns' maintenance verbs can join here.
struct SystemCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "system", abstract: "Manage Berth's data.",
                                                    subcommands: [SystemDiskUsage.self])
}

/// `berth system df`: space used by images (blobs) and unpacked layers, and how much is reclaimable.
struct SystemDiskUsage: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "df", abstract: "Show disk usage.")

    @OptionGroup var store: ImageStoreOptions

    func run() throws {
        let store = try store.openStore()
        let usage = try store.diskUsage()
        print(ImageFormat.table(["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"], [
            ["Images", "\(usage.images)", "\(usage.namedImages)", ImageFormat.size(usage.blobBytes), ImageFormat.size(usage.reclaimableBlobBytes)],
            ["Layers", "\(usage.layers)", "\(usage.layersInUse)", ImageFormat.size(usage.layerBytes), ImageFormat.size(usage.reclaimableLayerBytes)],
        ]))
    }
}
