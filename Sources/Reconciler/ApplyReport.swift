/// What `PlanExecutor.apply` did: the steps that completed, in the order they completed, the
/// failures (each naming its service and cause) and the steps not attempted because of them.
public struct ApplyReport: Sendable, Hashable, Codable {
    public var completed: [PlanStep] = []
    public var failures: [ReconcilerError] = []
    public var skipped: [PlanStep] = []

    public init() {}

    public var succeeded: Bool { failures.isEmpty }
}
