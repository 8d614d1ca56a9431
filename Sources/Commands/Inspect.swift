import ArgumentParser
import Engine
import EngineAPI
import Foundation

/// `berth inspect SERVICE|CONTAINER…`: the containers of the named services (or the named
/// containers, by name or id prefix) as a JSON array shaped like `docker inspect`'s essentials:
/// state with health and its last probes, restart count, configuration, restart policy,
/// networks, ports and mounts. `--format` prints one line per container from a template with
/// `{{.Path.To.Field}}` and `{{json .Path}}`, as docker's Go templates do for those forms.
struct Inspect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Display detailed information on service containers.")

    @OptionGroup var project: ProjectOptions

    // Long form only: `-f` names the compose files here (ProjectOptions).
    @Option(name: .long, help: ArgumentHelp("Format the output with a template: {{.State.Status}}, {{json .Config.Env}}.", valueName: "template"))
    var format: String?

    @Argument(help: "Services (all their containers) or containers (name or ID prefix).")
    var targets: [String]

    func validate() throws {
        if targets.isEmpty { throw ValidationError("inspect needs at least one service or container") }
        if let format { _ = try InspectTemplate(format) }
    }

    func run() async throws {
        let name = try project.loadName()
        let session = try EngineSession()
        let observed = try await session.observe(project: name)
        var chosen: [ObservedContainer] = []
        var missing: [String] = []
        for target in targets {
            let found = Self.resolve(target, among: observed.containers)
            if found.isEmpty { missing.append(target) }
            for container in found where !chosen.contains(where: { $0.id == container.id }) { chosen.append(container) }
        }
        var documents: [JSONValue] = []
        for container in chosen {
            do { documents.append(Self.document(try session.engine.details(id: container.id))) } catch {
                throw CommandFailure(message: error.description)
            }
        }
        if let format {
            let template = try InspectTemplate(format)
            for document in documents { Console.out(try template.render(document)) }
        } else if !documents.isEmpty || missing.isEmpty {
            Console.out(JSONValue.array(documents).rendered(pretty: true))
        }
        if !missing.isEmpty {
            throw CommandFailure("no such service or container: \(missing.joined(separator: ", ")) (in project \(name))")
        }
    }

    /// A service's containers by replica number, or the container with that name, or those whose
    /// id starts with `target`.
    static func resolve(_ target: String, among containers: [ObservedContainer]) -> [ObservedContainer] {
        let ofService = containers.filter { !$0.isOneoff && $0.service == target }
            .sorted { ($0.number ?? 0, $0.name) < ($1.number ?? 0, $1.name) }
        if !ofService.isEmpty { return ofService }
        if let named = containers.first(where: { $0.name == target }) { return [named] }
        return target.isEmpty ? [] : containers.filter { $0.id.hasPrefix(target) }
    }

    /// docker's zero time for a time that never came.
    static let zeroTime = "0001-01-01T00:00:00Z"

    static func time(_ date: Date?) -> JSONValue {
        guard let date else { return .string(zeroTime) }
        return .string(date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted)))
    }

    /// The docker-shaped document of one container.
    static func document(_ details: ContainerDetails) -> JSONValue {
        let args = details.entrypoint + details.command
        var state: [(String, JSONValue)] = [
            ("Status", .string(details.status)),
            ("Running", .bool(details.status == "running" || details.status == "paused")),
            ("Paused", .bool(details.status == "paused")),
            ("Restarting", .bool(details.status == "restarting")),
            // The monitor records an exit status, not the kernel's OOM kill events.
            ("OOMKilled", .bool(false)),
            ("Dead", .bool(details.status == "dead")),
            ("Pid", .int(details.pid ?? 0)),
            ("ExitCode", .int(details.exitCode ?? 0)),
            ("StartedAt", time(details.startedAt)),
            ("FinishedAt", time(details.finishedAt)),
        ]
        if let health = details.health {
            state.append(("Health", .object([
                ("Status", .string(health)),
                ("FailingStreak", .int(details.healthFailingStreak)),
                ("Log", .array(details.healthLog.map { entry in
                    .object([("Start", time(entry.start)), ("End", time(entry.end)),
                             ("ExitCode", .int(entry.exitCode)), ("Output", .string(entry.output))])
                })),
            ])))
        }
        var portBindings: [(String, JSONValue)] = []
        for binding in details.portBindings {
            let key = "\(binding.containerPort)/\(binding.proto)"
            let entry = JSONValue.object([("HostIp", .string(binding.hostIP ?? "")), ("HostPort", .string(binding.hostPort ?? ""))])
            if let index = portBindings.firstIndex(where: { $0.0 == key }), case .array(let list) = portBindings[index].1 {
                portBindings[index].1 = .array(list + [entry])
            } else {
                portBindings.append((key, .array([entry])))
            }
        }
        // Every port the service publishes, with where the forwarder bound it while it runs
        // (null when nothing is bound), as docker's NetworkSettings.Ports.
        var ports: [(String, JSONValue)] = portBindings.map { ($0.0, .null) }
        for port in details.publishedPorts {
            let key = "\(port.containerPort)/\(port.proto)"
            let entry = JSONValue.object([("HostIp", .string(port.hostIP)), ("HostPort", .string(String(port.hostPort)))])
            if let index = ports.firstIndex(where: { $0.0 == key }) {
                if case .array(let list) = ports[index].1 { ports[index].1 = .array(list + [entry]) } else { ports[index].1 = .array([entry]) }
            } else {
                ports.append((key, .array([entry])))
            }
        }
        let networks: [(String, JSONValue)] = details.networks.map { attachment in
            (attachment.network, .object([
                ("Aliases", .strings(attachment.aliases)),
                ("Gateway", .string(attachment.gateway ?? "")),
                ("IPAddress", .string(attachment.ipv4Address)),
                ("IPPrefixLen", .int(attachment.prefixLength)),
                ("GlobalIPv6Address", .string(attachment.ipv6Address ?? "")),
                ("MacAddress", .string(attachment.macAddress)),
            ]))
        }
        let mounts: [JSONValue] = details.mounts.map { mount in
            var members: [(String, JSONValue)] = [("Type", .string(mount.type))]
            if let name = mount.name { members.append(("Name", .string(name))) }
            members += [("Source", .string(mount.source)), ("Destination", .string(mount.destination)),
                        ("Mode", .string(mount.readWrite ? "rw" : "ro")), ("RW", .bool(mount.readWrite))]
            return .object(members)
        }
        return .object([
            ("Id", .string(details.id)),
            ("Created", time(details.created)),
            ("Path", .string(args.first ?? "")),
            ("Args", .strings(Array(args.dropFirst()))),
            ("State", .object(state)),
            ("Image", .string(details.imageID)),
            ("Name", .string("/" + details.name)),
            ("RestartCount", .int(details.restartCount)),
            ("HostConfig", .object([
                ("RestartPolicy", .object([("Name", .string(details.restartPolicy)),
                                           ("MaximumRetryCount", .int(details.restartMaximumRetries))])),
                ("PortBindings", .object(portBindings)),
            ])),
            ("Mounts", .array(mounts)),
            ("Config", .object([
                ("Hostname", .string(details.hostname)),
                ("User", .string(details.user)),
                ("Tty", .bool(details.tty)),
                ("Env", .strings(details.environment)),
                ("Cmd", .strings(details.command)),
                ("Image", .string(details.image)),
                ("WorkingDir", .string(details.workingDirectory)),
                ("Entrypoint", .strings(details.entrypoint)),
                ("Labels", .map(details.labels)),
            ])),
            ("NetworkSettings", .object([
                ("Ports", .object(ports)),
                ("Networks", .object(networks)),
            ])),
        ])
    }
}

/// The subset of Go's text/template that `inspect --format` takes: literal text, `{{.A.B}}`
/// (a field's value: strings bare, `<no value>` for null, compound values as JSON), `{{json .A}}`
/// (the value as JSON), and `{{.}}` / `{{json .}}` for the whole document. Parsed once, so a
/// malformed template fails before anything is looked up.
struct InspectTemplate {
    enum Piece {
        case text(String)
        case field(path: [String], json: Bool)
    }

    let pieces: [Piece]
    let source: String

    init(_ template: String) throws {
        source = template
        var pieces: [Piece] = []
        var rest = Substring(template)
        while let open = rest.range(of: "{{") {
            if open.lowerBound > rest.startIndex { pieces.append(.text(String(rest[..<open.lowerBound]))) }
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                throw ValidationError("--format \(template): unclosed action (expected }})")
            }
            var action = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            var json = false
            if action.hasPrefix("json ") {
                json = true
                action = action.dropFirst("json ".count).trimmingCharacters(in: .whitespaces)
            }
            guard action.hasPrefix(".") else {
                throw ValidationError("--format \(template): {{\(action)}}: only {{.Field.Path}} and {{json .Field.Path}} are supported")
            }
            let path = action == "." ? [] : action.dropFirst().split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            if path.contains(where: \.isEmpty) { throw ValidationError("--format \(template): malformed field \(action)") }
            pieces.append(.field(path: path, json: json))
            rest = rest[close.upperBound...]
        }
        if !rest.isEmpty { pieces.append(.text(String(rest))) }
        self.pieces = pieces
    }

    /// The template applied to `document`; a field that does not exist fails naming it.
    func render(_ document: JSONValue) throws -> String {
        var output = ""
        for piece in pieces {
            switch piece {
            case .text(let text): output += text
            case .field(let path, let json):
                var value = document
                for (depth, key) in path.enumerated() {
                    guard let member = value[key] else {
                        throw CommandFailure("--format: .\(path.prefix(depth + 1).joined(separator: ".")): no such field")
                    }
                    value = member
                }
                output += json ? value.rendered(pretty: false) : value.templateText
            }
        }
        return output
    }
}
