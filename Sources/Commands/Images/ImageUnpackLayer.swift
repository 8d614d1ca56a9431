import ArgumentParser
import Foundation
import Images
import OCISpec

/// `berth image unpack-layer` (hidden): the half of a rootless unpack that runs inside the user
/// namespace `berth-init userns-exec` makes (see Images' `UnpackIsolation`). It unpacks one layer
/// blob with owners restored and prints an `UnpackOutcome` as JSON: the report, or the error, so
/// the store outside reports it as if it had unpacked in process.
struct ImageUnpackLayer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unpack-layer", abstract: "Unpack one layer inside a user namespace (used by berth itself).",
        shouldDisplay: false)

    @Option(help: "The layer blob.") var archive: String
    @Option(help: "The empty directory to unpack into.") var into: String
    @Option(name: .customLong("diff-id"), help: "The digest the uncompressed layer must have.") var diffID: String?
    @Option(help: "overlay-user, overlay-trusted or plain.") var mode = "overlay-user"

    func run() throws {
        let outcome: UnpackOutcome
        do throws(ImageError) {
            let unpackMode: LayerUnpacker.Mode = switch mode {
            case "overlay-trusted": .overlay(userXattr: false)
            case "plain": .plain
            default: .overlay(userXattr: true)
            }
            let expected: Digest?
            do { expected = try diffID.map { try Digest(parsing: $0) } } catch {
                throw ImageError(.invalidContent, diffID ?? "", "not a digest: \(error)")
            }
            let report = try LayerUnpacker(mode: unpackMode, restoreOwners: true)
                .unpack(archive: URL(fileURLWithPath: archive), into: URL(fileURLWithPath: into), expectedDiffID: expected)
            outcome = UnpackOutcome(report: report)
        } catch {
            outcome = UnpackOutcome(error: error)
        }
        print(String(decoding: try JSONEncoder().encode(outcome), as: UTF8.self))
        if outcome.error != nil { throw ExitCode(1) }
    }
}
