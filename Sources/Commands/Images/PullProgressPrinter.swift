import Foundation
import Images
import OCISpec
import Synchronization

/// Renders pull events: one live progress bar per layer on a terminal, plain lines otherwise
/// (CI logs, pipes). Events arrive from concurrent download tasks, hence the lock.
final class PullProgressPrinter: Sendable {
    private struct Bar {
        var label: String
        var received: Int64 = 0
        var total: Int64
        var status = "waiting"
    }

    private struct State {
        var order: [Digest] = []
        var bars: [Digest: Bar] = [:]
        var drawnLines = 0
        var lastDraw = Date.distantPast
        /// A warning that holds for every layer (owners lost rootless) is said once.
        var warned = Set<String>()
    }

    private let state = Mutex(State())
    private let interactive: Bool
    private let quiet: Bool

    init(quiet: Bool, interactive: Bool = isatty(STDERR_FILENO) == 1) {
        self.quiet = quiet
        self.interactive = interactive
    }

    func handle(_ event: PullEvent) {
        guard !quiet else { return }
        switch event {
        case .resolving(let reference):
            line("Pulling \(reference)")
        case .skipped(let reference, let reason):
            line("Skipped \(reference): \(reason)")
        case .resolved(_, let manifest, let layers):
            state.withLock { state in
                for layer in layers where state.bars[layer.digest] == nil {
                    state.order.append(layer.digest)
                    state.bars[layer.digest] = Bar(label: layer.digest.shortID, total: layer.size)
                }
            }
            if !interactive { line("Resolved manifest \(manifest) with \(layers.count) layers") }
        case .layerCached(_, let digest):
            update(digest, status: "already present", received: nil)
        case .layerProgress(_, let digest, let received, _):
            update(digest, status: "downloading", received: received)
        case .layerDownloaded(_, let digest):
            update(digest, status: "downloaded", received: nil)
        case .layerUnpacked(_, let digest, let report):
            var status = "unpacked"
            if !report.skipped.isEmpty { status += " (\(report.skipped.count) entries skipped)" }
            update(digest, status: status, received: nil)
            for note in report.skipped { line("  note: \(note)") }
            for warning in report.warnings where state.withLock({ $0.warned.insert(warning).inserted }) { line("warning: \(warning)") }
        case .pulled(let reference, let id):
            redraw(force: true)
            line("Pulled \(reference) (image ID \(id.shortID))")
            state.withLock { $0.drawnLines = 0 }
        case .failed:
            break  // the command reports every failure once, at the end
        }
    }

    private func update(_ digest: Digest, status: String, received: Int64?) {
        let changed = state.withLock { state -> Bool in
            guard var bar = state.bars[digest] else { return false }
            let statusChanged = bar.status != status
            bar.status = status
            if let received { bar.received = received }
            if status != "downloading" { bar.received = bar.total }
            state.bars[digest] = bar
            return statusChanged
        }
        if interactive {
            redraw(force: changed)
        } else if changed {
            line("\(digest.shortID): \(status)")
        }
    }

    /// Redraws the block of bars in place, at most ten times a second unless something finished.
    private func redraw(force: Bool) {
        guard interactive else { return }
        let text: String? = state.withLock { state in
            let now = Date()
            guard force || now.timeIntervalSince(state.lastDraw) > 0.1 else { return nil }
            state.lastDraw = now
            var output = state.drawnLines > 0 ? "\u{1B}[\(state.drawnLines)A" : ""
            for digest in state.order {
                guard let bar = state.bars[digest] else { continue }
                let fraction = bar.total > 0 ? min(1, Double(bar.received) / Double(bar.total)) : 1
                let filled = Int(fraction * 30)
                let meter = String(repeating: "=", count: filled) + String(repeating: " ", count: 30 - filled)
                output += "\u{1B}[2K\(bar.label) [\(meter)] \(ImageFormat.size(bar.received))/\(ImageFormat.size(bar.total)) \(bar.status)\n"
            }
            state.drawnLines = state.order.count
            return output
        }
        if let text { FileHandle.standardError.write(Data(text.utf8)) }
    }

    private func line(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
