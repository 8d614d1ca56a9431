import EngineAPI

/// What must change to make the observed state the desired one: steps in the order they are
/// printed, each with its reason, and which service's steps must wait for which.
public struct Plan: Sendable, Hashable, Codable {
    public var project: String
    public var steps: [PlanStep]
    /// Things the user should know that are not actions (orphans kept without `--remove-orphans`).
    public var warnings: [PlanWarning]
    /// Service → services whose steps must finish first: dependencies for `up`, dependents for `down`.
    public var waitsFor: [String: [String]]

    public init(project: String, steps: [PlanStep] = [], warnings: [PlanWarning] = [], waitsFor: [String: [String]] = [:]) {
        self.project = project
        self.steps = steps
        self.warnings = warnings
        self.waitsFor = waitsFor
    }

    /// Nothing to do ("up -d on an unchanged stack"); warnings do not count.
    public var isEmpty: Bool { steps.isEmpty }
}

/// A note in a plan that is not an action.
public struct PlanWarning: Sendable, Hashable, Codable {
    public var object: String
    public var message: String

    public init(object: String, message: String) {
        self.object = object
        self.message = message
    }
}
