import Dispatch
import Foundation
import Synchronization

/// Counts SIGINT and SIGTERM instead of dying of them, for commands that stop a stack when the
/// user presses Ctrl-C (and force it on the second press), as docker compose's attached `up`.
final class Interrupts {
    private final class Counter: Sendable {
        let value = Atomic<Int>(0)
    }

    private let counter: Counter
    private let sources: [any DispatchSourceSignal]

    init(signals: [Int32] = [SIGINT, SIGTERM]) {
        let queue = DispatchQueue(label: "berth.interrupts")
        let counter = Counter()
        self.counter = counter
        sources = signals.map { number in
            // Ignored, so the signal reaches only the dispatch source and never ends the process.
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { counter.value.add(1, ordering: .relaxed) }
            source.resume()
            return source
        }
    }

    deinit { sources.forEach { $0.cancel() } }

    /// How many times the user has interrupted so far.
    var received: Int { counter.value.load(ordering: .relaxed) }
}
