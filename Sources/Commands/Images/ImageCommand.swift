import ArgumentParser

/// `berth image …`: the image noun and its verbs, one file each.
struct ImageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image",
        abstract: "Manage images in Berth's local store.",
        subcommands: [ImageList.self, ImagePull.self, ImagePush.self, ImageInspect.self, ImageHistory.self,
                      ImageTag.self, ImageRemove.self, ImagePrune.self, ImageLoad.self, ImageSave.self, ImageUnpackLayer.self]
    )
}
