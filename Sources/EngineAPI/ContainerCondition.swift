/// A state a container is waited for: compose's `depends_on` conditions, and `ready` for
/// `up --wait`.
public enum ContainerCondition: String, Sendable, Hashable, Codable, CaseIterable {
    /// `service_started`: the container has been started.
    case started = "service_started"
    /// `service_healthy`: its health check passed (a container without one cannot be waited for).
    case healthy = "service_healthy"
    /// `service_completed_successfully`: it ran to the end and exited 0.
    case completedSuccessfully = "service_completed_successfully"
    /// `up --wait`: running and, when it has a health check, healthy; or exited 0 (a one-shot).
    case ready
}
