import ComposeSpec

/// Start and stop budgets. systemd fails a start that takes longer than `TimeoutStartSec`, so
/// the budget must cover the slowest path to ready that the compose file allows; it is an upper
/// bound, not an estimate.
extension UnitGenerator {
    /// Seconds for containers to be created and started, beyond pulls and health checks.
    static let startAllowance = 90
    /// Seconds for pulling images, unless every image the unit needs is `pull_policy: never`.
    static let pullAllowance = 300
    /// Seconds beyond the grace periods for the stop command itself.
    static let stopAllowance = 30

    /// Seconds the project unit may take to become ready: the start allowance, the pull
    /// allowance, and the slowest chain of health-gated starts (see `healthChain`).
    public static func startTimeout(for project: Project) -> Int {
        let pulls = project.services.values.allSatisfy({ $0.pullPolicy == "never" }) ? 0 : pullAllowance
        return startAllowance + pulls + seconds(rounding: healthChain(of: project))
    }

    /// Seconds a per-service unit may take to become ready; nil (`infinity`) when it is ready
    /// only once its container has exited, which compose waits for without limit.
    public static func startTimeout(for service: Service, readiness: UnitReadiness) -> Int? {
        let pulls = service.pullPolicy == "never" ? 0 : pullAllowance
        switch readiness {
        case .started: return startAllowance + pulls
        case .healthy: return startAllowance + pulls + seconds(rounding: healthBudget(of: service) ?? 0)
        case .completed: return nil
        }
    }

    /// Seconds the project unit may take to stop: services stop in reverse dependency order, a
    /// level at a time, each within its `stop_grace_period` (compose's default 10 s).
    public static func stopTimeout(for project: Project) -> Int {
        let grace = project.services.values.map(gracePeriod).max() ?? 10
        return levels(of: project) * grace + stopAllowance
    }

    /// Seconds a per-service unit may take to stop: its grace period (replicas stop together).
    public static func stopTimeout(for service: Service) -> Int {
        gracePeriod(of: service) + stopAllowance
    }

    /// The longest a service's health check may take to report healthy, in nanoseconds: its
    /// `start_period` and then every retry failing at its full `timeout` before the last one
    /// passes (`start_period` + `retries` × (`interval` + `timeout`), compose's defaults for what
    /// is unset). nil when the service has no enabled health check.
    static func healthBudget(of service: Service) -> Int64? {
        // A check without `test` tunes the image's own HEALTHCHECK, which still gates.
        guard let check = service.healthcheck, check.disable != true, check.test?.first != "NONE" else {
            return nil
        }
        let second: Int64 = 1_000_000_000
        let interval = check.interval?.nanoseconds ?? 30 * second
        let timeout = check.timeout?.nanoseconds ?? 30 * second
        let startPeriod = check.startPeriod?.nanoseconds ?? 0
        return startPeriod + Int64(check.retries ?? 3) * (interval + timeout)
    }

    /// The latest moment, in nanoseconds from the first start, that every service can be ready:
    /// a service starts once each `service_healthy` dependency is ready and every other
    /// dependency has started, and is ready after its own health budget. Health checks along a
    /// chain (db healthy → api → web healthy) add up; unrelated ones overlap.
    static func healthChain(of project: Project) -> Int64 {
        guard let graph = try? DependencyGraph(project: project) else {
            // The loader refuses cycles; should one get here, every budget in a row bounds it.
            return project.services.values.compactMap(healthBudget).reduce(0, +)
        }
        var started: [String: Int64] = [:]
        var ready: [String: Int64] = [:]
        for name in graph.startOrder {
            guard let service = project.services[name] else { continue }
            var start: Int64 = 0
            for edge in graph.dependencies[name] ?? [] {
                let gatedOnHealth = edge.kind == .dependsOn && service.dependsOn?[edge.name]?.condition == .serviceHealthy
                start = max(start, (gatedOnHealth ? ready[edge.name] : started[edge.name]) ?? 0)
            }
            started[name] = start
            ready[name] = start + (healthBudget(of: service) ?? 0)
        }
        return ready.values.max() ?? 0
    }

    /// The length of the longest dependency chain (1 for services that depend on nothing).
    static func levels(of project: Project) -> Int {
        guard let graph = try? DependencyGraph(project: project) else { return project.services.count }
        var depth: [String: Int] = [:]
        for name in graph.startOrder {
            depth[name] = 1 + ((graph.dependencies[name] ?? []).compactMap { depth[$0.name] }.max() ?? 0)
        }
        return depth.values.max() ?? 1
    }

    static func gracePeriod(of service: Service) -> Int {
        seconds(rounding: service.stopGracePeriod?.nanoseconds ?? 10_000_000_000)
    }

    static func seconds(rounding nanoseconds: Int64) -> Int {
        Int((max(nanoseconds, 0) + 999_999_999) / 1_000_000_000)
    }
}
