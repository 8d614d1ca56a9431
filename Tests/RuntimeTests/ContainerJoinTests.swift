import Foundation
import Testing

/// Joining another container's namespaces by path (compose's `network_mode: service:x`).
@Suite(.enabled(if: Fixture.unavailableReason == nil, "\(Fixture.unavailableReason ?? "")"))
struct ContainerJoinTests {
    @Test("a container given another's network namespace path shares it, even across user namespaces")
    func joinNetwork() throws {
        let first = try Fixture.Area()
        defer { first.remove() }
        try first.setArgs(["sleep", "60"])
        #expect(try first.berthRun(["run", "--detach", "--bundle", first.bundle, "netowner"]).status == 0)
        defer { _ = try? first.berthRun(["delete", "--force", "netowner"]) }
        let state = try first.berthRun(["state", "netowner"]).stdout
        let pidLine = state.split(separator: "\n").first { $0.contains("\"pid\"") }
        let pid = String(pidLine?.split(separator: ":").last ?? "").filter { $0.isNumber }
        try #require(!pid.isEmpty, "state shows the first container's pid: \(state)")
        let expected = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/net")

        let second = try Fixture.Area()
        defer { second.remove() }
        try second.edit {
            $0.process?.args = ["readlink", "/proc/self/ns/net"]
            let namespaces = $0.linux?.namespaces ?? []
            $0.linux?.namespaces = namespaces.map { $0.type == "network" ? .init(type: "network", path: "/proc/\(pid)/ns/net") : $0 }
        }
        let result = try second.berthRun(["run", "--bundle", second.bundle, "netguest"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == expected + "\n")
    }
}
