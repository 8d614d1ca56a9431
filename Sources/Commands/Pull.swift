import ArgumentParser
import ComposeSpec
import Foundation
import Images
import OCISpec

/// `berth pull [SERVICE…]`: the images of a project's services, as `docker compose pull`.
/// Registry images are pulled in parallel (layers too); `oci-archive:`, `oci:` and
/// `docker-archive:` images are imported. A service's `pull_policy` applies unless `--policy`
/// overrides it.
struct Pull: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pull", abstract: "Pull service images.")

    @OptionGroup var project: ProjectOptions

    @Flag(name: .long, help: "Pull what can be pulled, and warn about the rest.")
    var ignorePullFailures = false

    @Flag(name: .shortAndLong, help: "Pull without printing progress information.")
    var quiet = false

    @Option(help: "Apply pull policy (\"missing\" or \"always\").")
    var policy: String?

    @Flag(name: .long, help: "Also pull services declared as dependencies.")
    var includeDeps = false

    @Flag(name: .long, help: "Ignore images that can be built.")
    var ignoreBuildable = false

    @Argument(help: "Services to pull (default: all).")
    var services: [String] = []

    func validate() throws {
        if let policy, policy != "missing" && policy != "always" {
            throw ValidationError("--policy must be \"missing\" or \"always\"")
        }
    }

    func run() async throws {
        let loaded = try project.load(services: services)
        var names = services.isEmpty ? loaded.serviceNames : services
        if includeDeps {
            let graph = try DependencyGraph(project: loaded)
            names = graph.closure(of: names).sorted()
        }
        let store = try ImageStore(dataDirectory: DataDirectory.resolve(explicit: nil))
        let puller = ImagePuller(store: store)
        // Registry pulls grouped by policy; archives imported as they come.
        var groups: [String: [ImageReference]] = [:]
        var owners: [ImageReference: [String]] = [:]
        var failures: [String] = []
        for name in names {
            guard let service = loaded.services[name] else { continue }
            guard let image = service.image else { continue }  // built from `build:`, nothing to pull
            if service.build != nil && ignoreBuildable { continue }
            let policyText = policy ?? service.pullPolicy ?? "always"
            if policyText == "build" { continue }
            do {
                switch try ImageSource(parsing: image) {
                case .registry:
                    let reference = try puller.reference(for: image)
                    if owners[reference] == nil { groups[policyText, default: []].append(reference) }
                    owners[reference, default: []].append(name)
                case let archive:
                    let records = try store.importImages(from: archive)
                    try unpackImported(records, in: store)
                    for record in records where !quiet {
                        Console.out("\(name): imported \(record.reference?.description ?? record.manifest.digest.description)")
                    }
                }
            } catch {
                failures.append("\(name): \(error)")
            }
        }
        let printer = PullProgressPrinter(quiet: quiet)
        for (policyText, references) in groups.sorted(by: { $0.key < $1.key }) {
            let results = await puller.pull(references, policy: try PullPolicy(parsing: policyText), events: printer.handle)
            for result in results {
                guard let error = result.error else { continue }
                let services = owners[result.reference, default: []].joined(separator: ", ")
                failures.append("\(services): \(error)")
            }
        }
        guard !failures.isEmpty else { return }
        if ignorePullFailures {
            for failure in failures { Console.warn(failure) }
        } else {
            throw CommandFailure(message: failures.joined(separator: "\n"))
        }
    }
}
