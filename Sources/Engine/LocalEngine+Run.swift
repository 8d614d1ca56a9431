import EngineAPI
import Foundation
import Runtime
import StateStore
import SystemSupport

extension LocalEngine {
    /// Creates `spec` and runs it in the foreground, as `docker compose run` without `-d`: the
    /// container reads this process's stdin, and its output reaches this process's stdout and
    /// stderr as it comes (and its json-file log, so `logs` shows it too). Returns when it has
    /// exited, with its exit code; the container is left for the caller to remove or keep.
    public func runAttached(_ spec: ContainerSpec) async throws(EngineError) -> (id: String, exitCode: Int32) {
        let (id, launched) = try await create(spec, attached: true)
        let object = "container \(spec.name)"
        do {
            try await startContainer(id: id)
        } catch {
            try? runtime.kill(id, signal: "SIGKILL")
            _ = try? runtime.wait(launched, id: id)
            throw error
        }
        // The monitor is this process's child: its status is the container's.
        let status = try await Blocking.run { () throws(EngineError) -> ExitStatus in
            try self.runtimeCall(object) { () throws(RuntimeError) -> ExitStatus in try self.runtime.wait(launched, id: id) }
        }
        try refresh(try stored(id))
        return (id, status.shellCode)
    }
}
