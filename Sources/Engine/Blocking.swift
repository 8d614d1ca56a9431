import EngineAPI
import Foundation

/// Runs the runtime's blocking calls (reading berth-init's report pipe, waiting out a stop grace
/// period in a sleep loop) on a thread of their own, so they never hold a thread of Swift's
/// cooperative pool, which has only as many threads as CPUs.
enum Blocking {
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws(EngineError) -> T) async throws(EngineError) -> T {
        let result: Result<T, EngineError> = await withCheckedContinuation { continuation in
            let thread = Thread {
                continuation.resume(returning: Result { () throws(EngineError) -> T in try body() })
            }
            thread.start()
        }
        return try result.get()
    }
}
