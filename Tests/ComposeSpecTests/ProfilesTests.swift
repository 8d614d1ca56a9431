import ComposeSpec
import Foundation
import Testing

/// Tests of profiles.
@Suite struct ProfilesTests {
    @Test("profiles: inactive services are left out, --profile and named services enable them")
    func profiles() throws {
        var options = ComposeLoader.Options(environment: [:], workingDirectory: repositoryRoot + "/Examples/profiles")
        #expect(try ComposeLoader(options: options).load().project.serviceNames == ["app"])
        options.profiles = ["debug"]
        #expect(try ComposeLoader(options: options).load().project.serviceNames == ["app", "debug"])
        options.profiles = []
        options.services = ["migrate"]
        #expect(try ComposeLoader(options: options).load().project.serviceNames == ["app", "migrate"])
        options.services = []
        options.environment["COMPOSE_PROFILES"] = "tools, debug"
        let project = try ComposeLoader(options: options).load().project
        #expect(project.serviceNames == ["app", "debug", "migrate"])
        #expect(project.allProfiles == ["debug", "ops", "tools"])
    }
}
