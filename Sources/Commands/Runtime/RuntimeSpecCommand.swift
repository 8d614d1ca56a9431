import ArgumentParser
import FoundationEssentials
import OCISpec
import Runtime
import SystemSupport

#if canImport(Glibc)
import Glibc
#endif

/// `berth runtime spec`: writes a default config.json with Berth's security defaults.
struct RuntimeSpecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "spec", abstract: "Write a default config.json into the bundle.")

    @Option(name: [.short, .long], help: "The bundle directory.") var bundle: String = "."
    @Flag(help: "Map the calling user's IDs (from /etc/subuid and /etc/subgid) for an unprivileged run.") var rootless = false

    func run() throws {
        let spec: RuntimeSpec
        if rootless {
            let maps = IDMapping.currentUserMaps()
            if maps.fallback { printError("warning: no /etc/subuid or /etc/subgid range for this user: only your own ID is mapped") }
            spec = DefaultSpec.make(rootless: true, uidMappings: maps.uid, gidMappings: maps.gid)
        } else {
            spec = DefaultSpec.make(rootless: false, uidMappings: IDMapping.identity, gidMappings: IDMapping.identity)
        }
        let path = bundle + "/config.json"
        if Files.exists(path) {
            printError("berth runtime spec: \(path) already exists; remove it first")
            throw ExitCode(1)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            try Files.writeAtomically(path, Array(try encoder.encode(spec)) + [10], stage: "spec")
        } catch {
            printError("berth runtime spec: \(error)")
            throw ExitCode(1)
        }
    }
}
