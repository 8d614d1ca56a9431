/// A container's restart policy: compose's `restart` (`no`, `always`, `on-failure[:N]`,
/// `unless-stopped`) or `deploy.restart_policy` (`condition`, `delay`, `max_attempts`, `window`).
public struct RestartPolicy: Sendable, Hashable, Codable {
    public enum Mode: String, Sendable, Hashable, Codable {
        case no, always, onFailure = "on-failure", unlessStopped = "unless-stopped"
    }

    public var mode: Mode
    /// `on-failure:N` or `max_attempts`: restarts allowed; nil for no limit.
    public var maximumRetries: Int?
    /// `deploy.restart_policy.delay`: a fixed wait before each restart instead of the back-off.
    public var delay: Double?
    /// `deploy.restart_policy.window`: a run at least this long counts as a success, so the
    /// restart count starts again from zero.
    public var window: Double?

    public init(mode: Mode, maximumRetries: Int? = nil, delay: Double? = nil, window: Double? = nil) {
        self.mode = mode
        self.maximumRetries = maximumRetries
        self.delay = delay
        self.window = window
    }

    public static let no = RestartPolicy(mode: .no)

    /// Parses `restart:` as compose writes it. `on-failure:0` means no limit, as docker reads it.
    public init(parsing text: String, object: String) throws(SupervisorError) {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        switch parts[0] {
        case "no", "": self.init(mode: .no)
        case "always" where parts.count == 1: self.init(mode: .always)
        case "unless-stopped" where parts.count == 1: self.init(mode: .unlessStopped)
        case "on-failure":
            guard parts.count == 1 || Int(parts[1]).map({ $0 >= 0 }) == true else {
                throw SupervisorError(.invalidPolicy, object: object,
                                      "restart \"\(text)\": the retry count after on-failure: must be a non-negative number")
            }
            let limit = parts.count == 2 ? Int(parts[1]) ?? 0 : 0
            self.init(mode: .onFailure, maximumRetries: limit == 0 ? nil : limit)
        default:
            throw SupervisorError(.invalidPolicy, object: object,
                                  "unknown restart policy \"\(text)\" (expected no, always, on-failure[:N] or unless-stopped)")
        }
    }

    /// Whether a container that ended with `exitCode` after `restartCount` restarts comes back.
    /// A container the user stopped (`stop`, `kill`, `down`) never does: the supervisor does not
    /// fight the user, whatever the policy.
    public func shouldRestart(exitCode: Int32, restartCount: Int, stoppedByUser: Bool) -> Bool {
        if stoppedByUser { return false }
        switch mode {
        case .no: return false
        case .always, .unlessStopped: return maximumRetries.map { restartCount < $0 } ?? true
        case .onFailure: return exitCode != 0 && (maximumRetries.map { restartCount < $0 } ?? true)
        }
    }

    /// The restart count to compare with `maximumRetries` after a run of `ranFor` seconds: a run
    /// longer than `window` starts the count again.
    public func effectiveCount(_ restartCount: Int, ranFor: Double) -> Int {
        if let window, ranFor >= window { return 0 }
        return restartCount
    }
}

/// Docker's restart back-off: 100 ms before the first restart, doubled for each restart that
/// follows a short run, at most one minute; a run of 10 s or more starts it again.
public struct RestartBackoff: Sendable, Hashable, Codable {
    public static let initial = 0.1
    public static let maximum = 60.0
    public static let resetAfter = 10.0

    /// The delay the next restart waits.
    public private(set) var delay: Double = RestartBackoff.initial

    public init() {}

    /// The back-off at `delay`, as a previous supervisor left it (clamped to 100 ms … 1 min).
    public init(delay: Double) {
        self.delay = min(max(delay, Self.initial), Self.maximum)
    }

    /// The wait before restarting a container that ran `ranFor` seconds; advances the back-off.
    public mutating func next(ranFor: Double) -> Double {
        if ranFor >= Self.resetAfter { delay = Self.initial }
        let current = delay
        delay = min(delay * 2, Self.maximum)
        return current
    }
}
