import ComposeSpec

/// A service's restart policy in systemd's words, for its per-service unit.
///
/// The compose policy is read as the reconciler reads it (`restart`, else
/// `deploy.restart_policy`), so the unit and the supervisor agree on what a service does when
/// its container exits. `unless-stopped` becomes `always`: under systemd a user stops a service
/// with `systemctl stop`, which never triggers `Restart=`, so the difference compose draws
/// between the two is already systemd's.
public struct UnitRestart: Sendable, Hashable, Codable {
    /// The `Restart=` value.
    public enum Policy: String, Sendable, Hashable, Codable {
        case no
        case always
        case onFailure = "on-failure"
    }

    public var policy: Policy
    /// `on-failure:N`, or `max_attempts`: restarts allowed after the first start.
    public var maximumRetries: Int?
    /// `deploy.restart_policy.delay`, in whole seconds (rounded up).
    public var delaySeconds: Int?

    public init(policy: Policy, maximumRetries: Int? = nil, delaySeconds: Int? = nil) {
        self.policy = policy
        self.maximumRetries = maximumRetries
        self.delaySeconds = delaySeconds
    }

    /// The policy `service` asks for. The loader has already refused anything but `no`,
    /// `always`, `on-failure[:N]` and `unless-stopped`.
    public init(service: Service) {
        let deploy = service.deploy?.restartPolicy
        delaySeconds = deploy?.delay.map { Int(($0.nanoseconds + 999_999_999) / 1_000_000_000) }
        if let restart = service.restart {
            let parts = restart.split(separator: ":", maxSplits: 1).map(String.init)
            switch parts.first ?? "" {
            case "always", "unless-stopped": policy = .always
            case "on-failure": policy = .onFailure
            default: policy = .no
            }
            maximumRetries = policy == .onFailure && parts.count == 2 ? Int(parts[1]).flatMap { $0 > 0 ? $0 : nil } : nil
            return
        }
        switch deploy?.condition {
        case "any": policy = .always
        case "on-failure": policy = .onFailure
        default: policy = .no
        }
        maximumRetries = policy == .onFailure ? deploy?.maxAttempts.flatMap { $0 > 0 ? $0 : nil } : nil
    }

    /// `StartLimitBurst=`: systemd counts starts, not restarts, so N retries allow N + 1 starts.
    public var startLimitBurst: Int? { maximumRetries.map { $0 + 1 } }

    /// `StartLimitIntervalSec=` for a unit whose start may take `startTimeout` seconds: long enough
    /// that N + 1 failed starts in a row always fall inside it (each lasts at most the start
    /// timeout plus the restart delay), short enough that failures days apart do not add up to
    /// the limit and lock the unit until `systemctl reset-failed`. A start without a time limit
    /// (a job run to completion) gets no window either: N + 1 starts until the next reset.
    public func startLimitInterval(startTimeout: Int?) -> String? {
        guard let burst = startLimitBurst else { return nil }
        guard let startTimeout else { return "infinity" }
        return "\(burst * (startTimeout + (delaySeconds ?? 1)))"
    }
}
