import Foundation

/// A container's health check, with docker's defaults filled in (interval 30 s, timeout 30 s,
/// 3 retries, no start period, start interval 5 s).
public struct HealthCheck: Sendable, Hashable, Codable {
    /// What the probe runs inside the container.
    public enum Test: Sendable, Hashable, Codable {
        /// `CMD`: the arguments, exec'd as they are.
        case exec([String])
        /// `CMD-SHELL`: one string for `/bin/sh -c`.
        case shell(String)

        /// The process arguments of the probe.
        public var arguments: [String] {
            switch self {
            case .exec(let arguments): arguments
            case .shell(let command): ["/bin/sh", "-c", command]
            }
        }
    }

    public var test: Test
    public var interval: Double
    public var timeout: Double
    public var retries: Int
    public var startPeriod: Double
    public var startInterval: Double

    public init(test: Test, interval: Double = 30, timeout: Double = 30, retries: Int = 3,
                startPeriod: Double = 0, startInterval: Double = 5) {
        self.test = test
        self.interval = interval
        self.timeout = timeout
        self.retries = retries
        self.startPeriod = startPeriod
        self.startInterval = startInterval
    }

    /// The check a compose or image `test` list describes: nil for `["NONE"]` (disabled) and for
    /// an empty list; a list that starts with neither `CMD` nor `CMD-SHELL` is an error.
    public static func test(from list: [String], object: String) throws(SupervisorError) -> Test? {
        guard let kind = list.first else { return nil }
        switch kind {
        case "NONE": return nil
        case "CMD":
            guard list.count > 1 else { throw SupervisorError(.invalidPolicy, object: object, "healthcheck test [\"CMD\"] names no command") }
            return .exec(Array(list.dropFirst()))
        case "CMD-SHELL":
            guard list.count > 1 else { throw SupervisorError(.invalidPolicy, object: object, "healthcheck test [\"CMD-SHELL\"] names no command") }
            return .shell(list.dropFirst().joined(separator: " "))
        default:
            throw SupervisorError(.invalidPolicy, object: object,
                                  "healthcheck test must start with CMD, CMD-SHELL or NONE, not \"\(kind)\"")
        }
    }

    /// Seconds until the probe after one that ended `sinceStart` seconds after the container
    /// started: `start_interval` inside the start period, `interval` after it.
    public func delay(sinceStart: Double) -> Double {
        sinceStart < startPeriod ? startInterval : interval
    }
}

/// The result of one probe, as docker keeps it (`inspect`'s `State.Health.Log`).
public struct ProbeResult: Sendable, Hashable, Codable {
    public var start: Date
    public var end: Date
    /// 0 healthy, 1 unhealthy; -1 when the probe could not run or timed out.
    public var exitCode: Int
    /// What the probe printed (stdout then stderr), at most `HealthState.outputLimit` bytes.
    public var output: String

    public init(start: Date, end: Date, exitCode: Int, output: String) {
        self.start = start
        self.end = end
        self.exitCode = exitCode
        self.output = output
    }
}

/// The health state machine of one container: `starting` until a probe succeeds (failures inside
/// the start period do not count), `healthy` after a success, `unhealthy` after `retries`
/// failures in a row. The last `keep` results are kept.
public struct HealthState: Sendable, Hashable, Codable {
    public enum Status: String, Sendable, Hashable, Codable {
        case starting, healthy, unhealthy
    }

    public static let keep = 5
    /// Docker keeps 4 KiB of a probe's output.
    public static let outputLimit = 4096

    public private(set) var status: Status = .starting
    public private(set) var failingStreak = 0
    public private(set) var log: [ProbeResult] = []

    public init() {}

    public init(status: Status, failingStreak: Int = 0, log: [ProbeResult] = []) {
        self.status = status
        self.failingStreak = failingStreak
        self.log = log
    }

    /// Takes in one probe result that ended `sinceStart` seconds after the container started.
    public mutating func record(_ result: ProbeResult, sinceStart: Double, check: HealthCheck) {
        log.append(result)
        if log.count > Self.keep { log.removeFirst(log.count - Self.keep) }
        if result.exitCode == 0 {
            status = .healthy
            failingStreak = 0
            return
        }
        // Inside the start period a failure is expected (the service is booting) and does not
        // count; once it has been healthy, every failure counts.
        if status == .starting && sinceStart < check.startPeriod { return }
        failingStreak += 1
        if failingStreak >= check.retries { status = .unhealthy }
    }
}
