import EngineAPI
import OCISpec
import Supervisor

/// How one container is supervised: its restart policy and its health check, resolved at create
/// time from the service and the image (docker's merge: the service's `healthcheck` overrides the
/// image's `HEALTHCHECK` field by field, `test: ["NONE"]` or `disable: true` turns it off). Kept
/// as JSON in the container's StateStore record, so a supervisor adopting the project later needs
/// neither the compose files nor the image.
struct SupervisionSettings: Sendable, Hashable, Codable {
    var restart: RestartPolicy
    var healthCheck: HealthCheck?

    init(restart: RestartPolicy = .no, healthCheck: HealthCheck? = nil) {
        self.restart = restart
        self.healthCheck = healthCheck
    }

    init(spec: ContainerSpec, image: ContainerConfig?) throws(EngineError) {
        let object = "container \(spec.name)"
        do throws(SupervisorError) {
            restart = try RestartPolicy(parsing: spec.restartPolicy, object: object)
            if let attempts = spec.restartMaxAttempts, attempts > 0 { restart.maximumRetries = attempts }
            restart.delay = spec.restartDelaySeconds
            restart.window = spec.restartWindowSeconds
            healthCheck = try Self.healthCheck(service: spec.healthcheck, image: image?.healthcheck, object: object)
        } catch {
            throw EngineError(.unsupported, object: object, error.message)
        }
    }

    static func healthCheck(service: ContainerSpec.Healthcheck?, image: ImageHealthcheck?,
                            object: String) throws(SupervisorError) -> HealthCheck? {
        if service?.test == ["NONE"] { return nil }
        let list = service?.test.isEmpty == false ? service?.test ?? [] : image?.test ?? []
        guard let test = try HealthCheck.test(from: list, object: object) else { return nil }
        // Image durations are nanoseconds, 0 meaning "the default".
        func imageSeconds(_ value: Int64?) -> Double? { value.flatMap { $0 > 0 ? Double($0) / 1e9 : nil } }
        var check = HealthCheck(test: test)
        if let value = service?.intervalSeconds ?? imageSeconds(image?.interval) { check.interval = value }
        if let value = service?.timeoutSeconds ?? imageSeconds(image?.timeout) { check.timeout = value }
        if let value = service?.startPeriodSeconds ?? imageSeconds(image?.startPeriod) { check.startPeriod = value }
        if let value = service?.startIntervalSeconds ?? imageSeconds(image?.startInterval) { check.startInterval = value }
        if let value = service?.retries ?? image?.retries.flatMap({ $0 > 0 ? $0 : nil }) { check.retries = value }
        return check
    }
}
