import ArgumentParser
import ComposeSpec
import Foundation
import Images
import OCISpec

/// `berth push [SERVICE…]`: uploads the images of a project's services, as `docker compose push`.
///
/// docker compose pushes only services that have both `build:` and `image:`. Berth has no builder
/// yet, so images come from pulls, loads and tags, and every service whose `image:` names a
/// registry is pushed; services without `image:` or with an offline transport (`oci:`,
/// `oci-archive:`, `docker-archive:`) are skipped, saying so. An image shared by several services
/// is pushed once. Blobs the registry already has are not sent again.
struct Push: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "push", abstract: "Push service images.")

    @OptionGroup var project: ProjectOptions

    @Flag(name: .long, help: "Push what can be pushed, and warn about the rest.")
    var ignorePushFailures = false

    @Flag(name: .shortAndLong, help: "Push without printing progress information.")
    var quiet = false

    @Flag(name: .long, help: "Also push images of services declared as dependencies.")
    var includeDeps = false

    @Argument(help: "Services to push (default: all).")
    var services: [String] = []

    /// At most this many images upload at once: enough to overlap round trips, few enough not to
    /// flood a small registry.
    static let parallelPushes = 4

    func run() async throws {
        let loaded = try project.load(services: services)
        var names = services.isEmpty ? loaded.serviceNames : services
        if includeDeps {
            let graph = try DependencyGraph(project: loaded)
            names = graph.closure(of: names).sorted()
        }
        var owners: [ImageReference: [String]] = [:]
        var order: [ImageReference] = []
        var failures: [String] = []
        for name in names {
            guard let service = loaded.services[name] else { continue }
            guard let image = service.image else {
                if !quiet { Console.out("\(name): skipped (no image:)") }
                continue
            }
            do {
                guard case .registry(let reference) = try ImageSource(parsing: image) else {
                    if !quiet { Console.out("\(name): skipped (\(image) is not in a registry)") }
                    continue
                }
                if owners[reference] == nil { order.append(reference) }
                owners[reference, default: []].append(name)
            } catch {
                failures.append("\(name): \(error)")
            }
        }
        let store = try ImageStore(dataDirectory: DataDirectory.resolve(explicit: nil))
        let pusher = ImagePusher(store: store)
        let quiet = self.quiet
        let results = await withTaskGroup(of: (ImageReference, ImageError?).self) { group in
            var pending = order[...]
            var results: [ImageReference: ImageError] = [:]
            func startNext() {
                guard let reference = pending.popFirst() else { return }
                group.addTask {
                    do throws(ImageError) {
                        try await pusher.push(reference.description, to: reference) { event in
                            guard !quiet else { return }
                            Console.out(Self.line(for: event, of: reference))
                        }
                        return (reference, nil)
                    } catch {
                        return (reference, error)
                    }
                }
            }
            for _ in 0..<Self.parallelPushes { startNext() }
            for await (reference, error) in group {
                if let error { results[reference] = error }
                startNext()
            }
            return results
        }
        // Reported in the project's order, not the order the uploads happened to finish.
        for reference in order {
            guard let error = results[reference] else { continue }
            failures.append("\(owners[reference, default: []].joined(separator: ", ")): \(error)")
        }
        guard !failures.isEmpty else { return }
        if ignorePushFailures {
            for failure in failures { Console.warn(failure) }
        } else {
            throw CommandFailure(message: failures.joined(separator: "\n"))
        }
    }

    static func line(for event: PushEvent, of reference: ImageReference) -> String {
        switch event {
        case .blobExists(let digest): "\(reference): \(digest.shortID): already in the registry"
        case .blobUploaded(let digest, let size): "\(reference): \(digest.shortID): pushed \(ImageFormat.size(size))"
        case .pushed(let pushed, let manifest): "Pushed \(pushed)@\(manifest)"
        }
    }
}
