import ArgumentParser
import Foundation
import StateStore

/// `berth events [SERVICE…]`, as `docker compose events`: follows the project's container events
/// (create, start, stop, kill, die, destroy, pause, unpause) as the engine records them, until
/// interrupted. It sleeps on the state database through inotify; once a second it also looks at
/// the containers, so a process that ended on its own shows as `die` without a supervisor.
struct Events: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "events", abstract: "Receive real time events from containers.")

    @OptionGroup var project: ProjectOptions

    @Flag(name: .long, help: "Output events as a stream of json objects.")
    var json = false

    @Argument(help: "Services whose events to show (default: all).")
    var services: [String] = []

    /// One event as `--json` prints it, with docker compose's keys.
    struct JSONEvent: Sendable, Hashable, Codable {
        var time: String
        var type: String
        var action: String
        var id: String
        var service: String
        var attributes: [String: String]
    }

    static func line(_ event: EventRecord, json: Bool) -> String {
        var attributes = event.attributes
        attributes["name"] = event.name
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let value = JSONEvent(time: event.time.formatted(.iso8601), type: "container", action: event.action,
                                  id: event.container, service: event.service, attributes: attributes)
            return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        }
        let details = attributes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
        return "\(timestamp(event.time)) container \(event.action) \(event.container) (\(details))"
    }

    /// `2026-11-22 17:03:01.123456`, docker compose's event time.
    static func timestamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss.SSSSSS"
        return formatter.string(from: date)
    }

    func run() async throws {
        let loaded = try project.load()
        for name in services where loaded.services[name] == nil { throw CommandFailure("no such service: \(name)") }
        let session = try EngineSession()
        let engine = session.engine
        let wanted = Set(services)
        do {
            var last = try engine.lastEventSequence() ?? 0
            while true {
                let events = try engine.events(after: last, project: loaded.name)
                for event in events where wanted.isEmpty || wanted.contains(event.service) {
                    Console.out(Self.line(event, json: json))
                }
                if let newest = events.last?.sequence {
                    last = newest
                    continue
                }
                await engine.waitForStateChange(timeoutMilliseconds: 1000)
                _ = try await engine.observe(project: loaded.name)
            }
        } catch {
            throw CommandFailure(message: "\(error)")
        }
    }
}
