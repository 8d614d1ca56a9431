import ArgumentParser
import ComposeSpec
import Foundation
import YAML

/// `berth config`: the resolved project, as `docker compose config` prints it.
struct Config: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "config", 
        abstract: "Parse, resolve and render the compose file in canonical format.")

    @OptionGroup var project: ProjectOptions

    @Option(help: "Format the output: yaml or json.")
    var format: OutputFormat = .yaml

    @Flag(name: .shortAndLong, help: "Only validate the configuration, don't print anything.")
    var quiet = false

    @Flag(help: "Print the service names, one per line.")
    var services = false

    @Flag(help: "Print the volume names, one per line.")
    var volumes = false

    @Flag(help: "Print the network names, one per line.")
    var networks = false

    @Flag(help: "Print the profile names, one per line.")
    var profiles = false

    @Flag(help: "Print the image names, one per line.")
    var images = false

    @Option(help: "Print the service config hash, one per line: SERVICE HASH. Use '*' for all services, or a comma-separated list.")
    var hash: String?

    @Flag(name: .customLong("no-interpolate"), help: "Don't interpolate environment variables.")
    var noInterpolate = false

    @Flag(name: .customLong("no-normalize"), help: "Don't normalize the compose model.")
    var noNormalize = false

    @Flag(name: .customLong("no-path-resolution"), help: "Don't resolve file paths.")
    var noPathResolution = false

    @Option(name: [.short, .customLong("output")], help: "Save to this file instead of standard output.")
    var output: String?

    @Argument(help: "Services to render (default: all).")
    var serviceNames: [String] = []

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable { case yaml, json }

    func run() throws {
        var loaded = try project.load(services: serviceNames) { options in
            options.interpolate = !noInterpolate
            options.normalize = !noNormalize
            options.resolvePaths = !noPathResolution
        }
        if !serviceNames.isEmpty {
            loaded.services = loaded.services.filter { serviceNames.contains($0.key) }
        }
        if quiet { return }
        let text: String
        if services {
            text = loaded.serviceNames.joined(separator: "\n")
        } else if volumes {
            text = loaded.volumes.keys.sorted().joined(separator: "\n")
        } else if networks {
            text = loaded.networks.keys.sorted().joined(separator: "\n")
        } else if profiles {
            text = loaded.allProfiles.joined(separator: "\n")
        } else if images {
            text = loaded.serviceNames.compactMap { loaded.services[$0].map(loaded.imageName(of:)) }.joined(separator: "\n")
        } else if let hash {
            let wanted = hash == "*" ? loaded.serviceNames
                : hash.split(separator: ",").map { String($0.trimmingCharacters(in: .whitespaces)) }
            var lines: [String] = []
            for name in wanted {
                guard let service = loaded.services[name] else {
                    throw CommandFailure(message: "no such service: \(name)")
                }
                lines.append("\(name) \(try ConfigHash.hash(of: service))")
            }
            text = lines.joined(separator: "\n")
        } else {
            let node = try ProjectEncoding.node(of: loaded, escapingDollars: !noInterpolate)
            text = format == .json ? JSONEmitter.emit(node, pretty: true) : YAMLEmitter.emit(node)
        }
        if let output {
            do {
                try Data((text.hasSuffix("\n") ? text : text + "\n").utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
            } catch {
                throw CommandFailure(message: "cannot write \(output): \(error.localizedDescription)")
            }
        } else if !text.isEmpty {
            Console.out(text)
        }
    }
}
