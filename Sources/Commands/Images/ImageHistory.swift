import ArgumentParser
import Images

/// `berth image history NAME`: the build steps, newest first, with the size of the layer each made.
struct ImageHistory: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "history", abstract: "Show the build history of an image.")

    @OptionGroup var store: ImageStoreOptions
    @Flag(name: .long, help: "Do not truncate the commands.") var noTrunc = false
    @Argument(help: "Image name or ID.") var image: String

    func run() throws {
        let store = try store.openStore()
        let details = try store.details(try store.resolve(image))
        var layers = details.manifest.layers.makeIterator()
        var rows: [[String]] = []
        for step in details.config.history ?? [] {
            let size = step.emptyLayer == true ? "0B" : (layers.next().map { ImageFormat.size($0.size) } ?? "0B")
            var command = step.createdBy ?? ""
            if !noTrunc, command.count > 45 { command = String(command.prefix(44)) + "…" }
            rows.append([ImageFormat.age(step.created), command, size, step.comment ?? ""])
        }
        print(ImageFormat.table(["CREATED", "CREATED BY", "SIZE", "COMMENT"], rows.reversed()))
    }
}
