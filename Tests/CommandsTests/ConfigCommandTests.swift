import Foundation
import Testing

@Suite struct ConfigCommandTests {
    @Test("config prints the webapp example as canonical YAML")
    func webapp() throws {
        let result = try BerthBinary.run(["-f", "Examples/webapp/compose.yaml", "config"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("name: webapp\nservices:\n  api:\n"))
        #expect(result.stdout.contains("published: \"8080\""))
        #expect(result.stdout.contains("name: webapp_default"))
    }

    @Test("--services, --volumes, --networks, --profiles, --images list names")
    func listings() throws {
        let base = ["-f", "Examples/profiles/compose.yaml", "config"]
        #expect(try BerthBinary.run(base + ["--services"]).stdout == "app\n")
        #expect(try BerthBinary.run(base + ["--profiles"]).stdout == "debug\nops\ntools\n")
        #expect(try BerthBinary.run(base + ["--networks"]).stdout == "default\n")
        #expect(try BerthBinary.run(["--profile", "debug"] + base + ["--services"]).stdout == "app\ndebug\n")
        let webapp = ["-f", "Examples/webapp/compose.yaml", "config"]
        #expect(try BerthBinary.run(webapp + ["--volumes"]).stdout == "db-data\n")
        #expect(try BerthBinary.run(webapp + ["--images"]).stdout == String(repeating: "busybox:latest\n", count: 4))
    }

    @Test("--format json prints the same project as JSON")
    func json() throws {
        let result = try BerthBinary.run(["-f", "Examples/webapp/compose.yaml", "config", "--format", "json"])
        #expect(result.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let services = object?["services"] as? [String: Any]
        #expect(services?.keys.sorted() == ["api", "cache", "db", "web"])
        let web = services?["web"] as? [String: Any]
        let ports = web?["ports"] as? [[String: Any]]
        #expect(ports?.first?["target"] as? Int == 8080)
        #expect(ports?.first?["published"] as? String == "8080")
    }

    @Test("--hash is stable and changes only with the service's effective config")
    func hash() throws {
        let directory = try temporaryDirectory([
            "compose.yaml": Data("services:\n  a:\n    image: x\n    environment: [A=1]\n  b:\n    image: y\n".utf8),
        ])
        let first = try BerthBinary.run(["config", "--hash", "*"], in: directory).stdout
        #expect(first == (try BerthBinary.run(["config", "--hash", "*"], in: directory).stdout))
        let lines = first.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.first?.hasPrefix("a ") == true)
        try Data("services:\n  a:\n    image: x\n    environment: {A: \"1\"}\n    scale: 2\n  b:\n    image: y\n".utf8)
            .write(to: URL(fileURLWithPath: directory + "/compose.yaml"))
        #expect(try BerthBinary.run(["config", "--hash", "*"], in: directory).stdout == first,
                "same environment in map form and a scale change keep the hash")
        try Data("services:\n  a:\n    image: x\n    environment: [A=2]\n  b:\n    image: y\n".utf8)
            .write(to: URL(fileURLWithPath: directory + "/compose.yaml"))
        let changed = try BerthBinary.run(["config", "--hash", "*"], in: directory).stdout.split(separator: "\n")
        #expect(changed.first != lines.first)
        #expect(changed.last == lines.last)
    }

    @Test("-q validates quietly, -o writes a file, -f - reads standard input")
    func quietOutputStdin() throws {
        let quiet = try BerthBinary.run(["-f", "Examples/webapp/compose.yaml", "config", "-q"])
        #expect(quiet.status == 0 && quiet.stdout.isEmpty)
        let directory = try temporaryDirectory([:])
        let out = directory + "/out.yaml"
        let written = try BerthBinary.run(["-f", "Examples/webapp/compose.yaml", "config", "-o", out])
        #expect(written.status == 0 && written.stdout.isEmpty)
        #expect((try? String(contentsOfFile: out, encoding: .utf8))?.hasPrefix("name: webapp") == true)
        let stdin = try BerthBinary.run(["-f", "-", "-p", "piped", "config", "--services"], in: directory,
                                        stdin: Data("services:\n  s:\n    image: x\n".utf8))
        #expect(stdin.stdout == "s\n", "\(stdin.stderr)")
    }

    @Test("a missing file and an invalid file exit non-zero with a located message")
    func errors() throws {
        let directory = try temporaryDirectory(["compose.yaml": Data("services:\n  a:\n    image: x\n    ports: [\"x:y\"]\n".utf8)])
        let invalid = try BerthBinary.run(["config"], in: directory)
        #expect(invalid.status == 1)
        #expect(invalid.stderr.hasPrefix("error: compose.yaml:4:"))
        let missing = try BerthBinary.run(["-f", "nope.yaml", "config"], in: directory)
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("nope.yaml"))
    }

    @Test("keys Berth does not act on are warned about with their path")
    func warnings() throws {
        let directory = try temporaryDirectory(["compose.yaml": Data("version: \"3\"\nservices:\n  a:\n    image: x\n    gpus: all\n".utf8)])
        let result = try BerthBinary.run(["config", "-q"], in: directory)
        #expect(result.status == 0)
        #expect(result.stderr.contains("warning: compose.yaml:1:1: version:"))
        #expect(result.stderr.contains("warning: compose.yaml:5:5: services.a.gpus: not acted on"))
    }

    @Test("a literal $ prints as $$ so the output loads again; --no-interpolate prints the file's text")
    func dollars() throws {
        let directory = try temporaryDirectory([
            "compose.yaml": Data("services:\n  a:\n    image: \"x:${TAG:-1}\"\n    command: echo $$HOME\n".utf8),
        ])
        let interpolated = try BerthBinary.run(["config"], in: directory)
        #expect(interpolated.stdout.contains("- $$HOME"), "\(interpolated.stdout)")
        #expect(interpolated.stdout.contains("image: x:1"))
        let raw = try BerthBinary.run(["config", "--no-interpolate"], in: directory)
        #expect(raw.stdout.contains("image: x:${TAG:-1}"), "\(raw.stdout)")
    }
}
