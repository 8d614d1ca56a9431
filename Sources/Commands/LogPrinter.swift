import Engine
import EngineAPI
import Foundation

/// Prints containers' log records as docker compose does: `web-1  | line`, the name padded to the
/// longest one, the prefix coloured per service, and an optional timestamp before the line.
/// Pieces of a line longer than 16 KiB (records without a newline) are joined back into one line.
struct LogPrinter {
    var prefix: Bool
    var colors: Bool
    var timestamps: Bool
    private var width = 0
    private var colorOfService: [String: String] = [:]
    /// The start of a line each container has written only part of.
    private var partial: [String: String] = [:]

    /// docker compose's rainbow (cmd/formatter/colors.go): ANSI codes, assigned in turn.
    static let rainbow = ["36", "33", "32", "35", "34", "36;1", "33;1", "32;1", "35;1", "34;1"]

    init(prefix: Bool, colors: Bool, timestamps: Bool) {
        self.prefix = prefix
        self.colors = colors
        self.timestamps = timestamps
    }

    /// Colours go to terminals only, and never with `NO_COLOR` set (no-color.org) or `--no-color`.
    static func wantsColors(noColor: Bool, environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        !noColor && (environment["NO_COLOR"] ?? "").isEmpty && isatty(STDOUT_FILENO) == 1
    }

    /// Makes room for `container`'s name and gives its service a colour.
    mutating func add(_ container: ObservedContainer) {
        width = max(width, container.name.count)
        let service = container.service ?? container.name
        if colorOfService[service] == nil {
            colorOfService[service] = Self.rainbow[colorOfService.count % Self.rainbow.count]
        }
    }

    /// docker compose's `%-*s |` with the width one more than the longest name: `web-1  |`.
    func label(_ container: ObservedContainer) -> String {
        let padded = container.name + String(repeating: " ", count: max(0, width + 1 - container.name.count))
        return paint(padded + " |", container)
    }

    private func paint(_ text: String, _ container: ObservedContainer) -> String {
        guard colors, let code = colorOfService[container.service ?? container.name] else { return text }
        return "\u{1B}[\(code)m\(text)\u{1B}[0m"
    }

    /// The text of `entry` as printed, or nil while its line is incomplete.
    mutating func format(_ entry: LogEntry, of container: ObservedContainer) -> String? {
        var text = (partial.removeValue(forKey: container.id) ?? "") + entry.text
        guard text.hasSuffix("\n") else {
            partial[container.id] = text
            return nil
        }
        text.removeLast()
        var line = ""
        if prefix { line += label(container) + " " }
        if timestamps { line += entry.time.description + " " }
        return line + text
    }

    /// A line that ends a container's incomplete one, when it has stopped writing.
    mutating func flush(_ container: ObservedContainer) -> String? {
        guard let text = partial.removeValue(forKey: container.id) else { return nil }
        return (prefix ? label(container) + " " : "") + text
    }

    /// `web-1 exited with code 0`, as docker compose says it when attached.
    func exited(_ container: ObservedContainer, code: Int32) -> String {
        paint("\(container.name) exited with code \(code)", container)
    }
}
