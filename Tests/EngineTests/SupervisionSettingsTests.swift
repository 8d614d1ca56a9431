import EngineAPI
import OCISpec
import Supervisor
import Testing
@testable import Engine

/// How a container is supervised: the service's `healthcheck` over the image's `HEALTHCHECK`,
/// field by field, as docker merges them; restart policies with `deploy.restart_policy`.
@Suite struct SupervisionSettingsTests {
    static let image = ImageHealthcheck(test: ["CMD-SHELL", "curl -f localhost"], interval: 10_000_000_000,
                                        timeout: 2_000_000_000, startPeriod: 0, retries: 5)

    static func spec(restart: String = "no", health: ContainerSpec.Healthcheck? = nil) -> ContainerSpec {
        var spec = ContainerSpec(name: "demo-web-1", image: "busybox", imageID: "sha256:1")
        spec.restartPolicy = restart
        spec.healthcheck = health
        return spec
    }

    @Test("the image's HEALTHCHECK applies when the service has none; its zero durations keep docker's defaults")
    func imageCheck() throws {
        let settings = try SupervisionSettings(spec: Self.spec(), image: ContainerConfig(healthcheck: Self.image))
        let check = try #require(settings.healthCheck)
        #expect(check.test == .shell("curl -f localhost"))
        #expect(check.interval == 10)
        #expect(check.timeout == 2)
        #expect(check.retries == 5)
        #expect(check.startPeriod == 0)
        #expect(check.startInterval == 5)
    }

    @Test("the service's healthcheck overrides the image's field by field; without a test it keeps the image's command")
    func override() throws {
        var health = ContainerSpec.Healthcheck(test: [])
        health.intervalSeconds = 0.5
        let settings = try SupervisionSettings(spec: Self.spec(health: health), image: ContainerConfig(healthcheck: Self.image))
        #expect(settings.healthCheck?.test == .shell("curl -f localhost"))
        #expect(settings.healthCheck?.interval == 0.5)
        #expect(settings.healthCheck?.timeout == 2)
        var own = ContainerSpec.Healthcheck(test: ["CMD", "pg_isready"])
        own.retries = 1
        let replaced = try SupervisionSettings(spec: Self.spec(health: own), image: ContainerConfig(healthcheck: Self.image))
        #expect(replaced.healthCheck?.test == .exec(["pg_isready"]))
        #expect(replaced.healthCheck?.retries == 1)
    }

    @Test("test NONE (or disable: true) turns the image's check off")
    func disabled() throws {
        let settings = try SupervisionSettings(spec: Self.spec(health: .init(test: ["NONE"])), image: ContainerConfig(healthcheck: Self.image))
        #expect(settings.healthCheck == nil)
        #expect(try SupervisionSettings(spec: Self.spec(), image: nil).healthCheck == nil)
    }

    @Test("restart and deploy.restart_policy: max_attempts is the retry limit, delay and window carried")
    func restart() throws {
        var spec = Self.spec(restart: "on-failure")
        spec.restartMaxAttempts = 3
        spec.restartDelaySeconds = 2
        spec.restartWindowSeconds = 60
        let settings = try SupervisionSettings(spec: spec, image: nil)
        #expect(settings.restart == RestartPolicy(mode: .onFailure, maximumRetries: 3, delay: 2, window: 60))
        #expect(throws: EngineError.self) { try SupervisionSettings(spec: Self.spec(restart: "sometimes"), image: nil) }
    }
}
