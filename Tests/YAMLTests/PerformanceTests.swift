import Testing
@testable import YAML

/// A compose file the size of a very large deployment must load in well under a second in a
/// release build. Set BERTH_YAML_BENCH=1 to print the measured throughput.
@Suite struct PerformanceTests {
    /// 5,000 services of 22 lines each (about 110,000 lines), with anchors and merge keys.
    static func largeComposeFile(services: Int = 5_000) -> String {
        var text = """
            x-defaults: &defaults
              restart: unless-stopped
              logging: {driver: json-file, options: {max-size: 10m}}
            services:

            """
        for index in 0..<services {
            let n = String(index)
            text += """
                  svc\(n):
                    <<: *defaults
                    image: "registry.example.com/team/app-\(n):1.2.3"
                    container_name: app-\(n)
                    command: ["sh", "-c", "exec /app --port 8080"]
                    environment:
                      LOG_LEVEL: debug
                      PORT: "8080"
                      DATABASE_URL: postgres://user:pass@db:5432/app
                    ports:
                      - "\(18_000 + index % 1000):8080"
                      - target: 9090
                        published: \(20_000 + index % 1000)
                    volumes:
                      - ./data/\(n):/var/lib/app
                    labels:
                      com.example.team: platform
                      com.example.tier: 'backend'
                    depends_on: [db]
                    healthcheck:
                      test: [CMD, curl, -f, "http://localhost:8080/health"]
                      interval: 10s

                """
        }
        return text
    }

    @Test("a 5,000-service compose file parses, with every service and merge key resolved")
    func largeFile() throws {
        let bytes = Array(Self.largeComposeFile().utf8)
        let clock = ContinuousClock()
        var root: YAMLNode?
        let elapsed = try clock.measure { root = try YAMLParser.parse(bytes, file: "big.yaml") }
        let services = try #require(root?["services"]?.mappingPairs)
        #expect(services.count == 5_000)
        #expect(services.last?.value["restart"]?.scalarText == "unless-stopped")
        #expect(services.last?.value.location.line == 4 + 4_999 * 22 + 2)
        // Generous for debug builds on a shared machine; release builds take a fraction of this.
        #expect(elapsed < .seconds(10))
        if let flag = Environment.value("BERTH_YAML_BENCH"), flag == "1" {
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let megabytes = Double(bytes.count) / 1_048_576
            let lines = bytes.lazy.filter { $0 == UInt8(ascii: "\n") }.count
            print("yaml-bench: \(lines) lines, \(String(format: megabytes)) MiB in \(String(format: seconds)) s "
                  + "= \(String(format: megabytes / seconds)) MiB/s")
        }
    }
}

private func String(format value: Double) -> String {
    let scaled = (value * 1000).rounded() / 1000
    return "\(scaled)"
}

private enum Environment {
    static func value(_ name: String) -> String? {
        guard let pointer = getenv(name) else { return nil }
        return String(cString: pointer)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
