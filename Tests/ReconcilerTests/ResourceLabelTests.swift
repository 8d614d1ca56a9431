import EngineAPI
import Testing

/// The compose labels Berth writes and reads back.
@Suite struct ResourceLabelTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var testDescription: String { value.isEmpty ? "(empty)" : value }
        var value: String
        var expected: [ResourceLabels.Dependency]
    }

    static let cases: [Case] = [
        Case(value: "db:service_started:false", expected: [.init(service: "db", condition: "service_started", restart: false)]),
        Case(value: "db:service_healthy:true,cache:service_started:false",
             expected: [.init(service: "db", condition: "service_healthy", restart: true),
                        .init(service: "cache", condition: "service_started", restart: false)]),
        Case(value: "db", expected: [.init(service: "db", condition: "service_started", restart: false)]),
        Case(value: "", expected: []),
        Case(value: ":x:true,db:service_started:true", expected: [.init(service: "db", condition: "service_started", restart: true)]),
    ]

    @Test("depends_on labels are read as compose writes them, tolerating short entries", arguments: cases)
    func dependsOn(_ testCase: Case) {
        #expect(ResourceLabels.dependencies(from: testCase.value) == testCase.expected)
    }

    @Test("a written depends_on label reads back the same")
    func roundTrip() {
        let dependencies = [ResourceLabels.Dependency(service: "db", condition: "service_completed_successfully", restart: true)]
        #expect(ResourceLabels.dependencies(from: ResourceLabels.dependsOnValue(dependencies)) == dependencies)
    }

    @Test("a container's labels give its project, service, number and one-off flag")
    func observedContainer() {
        let container = ObservedContainer(id: "c1", name: "demo-web-3", labels: [
            ResourceLabels.project: "demo", ResourceLabels.service: "web", ResourceLabels.containerNumber: "3",
            ResourceLabels.oneoff: "True", ResourceLabels.configHash: "abc",
        ], imageID: "sha256:1", state: .paused)
        #expect(container.project == "demo")
        #expect(container.service == "web")
        #expect(container.number == 3)
        #expect(container.isOneoff)
        #expect(container.configHash == "abc")
        #expect(container.isActive)
        let unlabelled = ObservedContainer(id: "c2", name: "x", labels: [ResourceLabels.containerNumber: "three"],
                                           imageID: "sha256:1", state: .exited)
        #expect(unlabelled.number == nil)
        #expect(!unlabelled.isOneoff)
        #expect(!unlabelled.isActive)
    }
}
