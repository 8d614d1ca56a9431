import ArgumentParser
import Foundation

/// `berth top [SERVICE…]`, as `docker compose top`: each running container's name, then its
/// processes in `ps -ef`'s columns (UID PID PPID C STIME TTY TIME CMD), host PIDs, read from
/// /proc as docker reads them.
struct Top: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "top", abstract: "Display the running processes.")

    @OptionGroup var project: ProjectOptions

    @Argument(help: "Services to list (default: all).")
    var services: [String] = []

    func run() async throws {
        let loaded = try project.load()
        let session = try EngineSession()
        let selection = try await ProjectContainers(session: session, project: loaded, services: services)
        var blocks: [String] = []
        for container in selection.containers where container.isActive {
            let pids: [Int32]
            do { pids = try session.engine.processes(id: container.id) } catch {
                throw CommandFailure(message: error.description)
            }
            let rows = pids.sorted().compactMap { ProcessRow(pid: $0) }
            blocks.append(container.name + "\n" + ProcessRow.table(rows))
        }
        if !blocks.isEmpty { Console.out(blocks.joined(separator: "\n\n")) }
    }
}

/// One process as `ps -ef` shows it.
struct ProcessRow: Sendable, Hashable {
    var uid: String
    var pid: Int32
    var ppid: Int32
    var cpu: Int
    var started: String
    var tty: String
    var time: String
    var command: String

    static let header = ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]

    /// Reads /proc/<pid>; nil when the process ended meanwhile.
    init?(pid: Int32, now: Double = Date().timeIntervalSince1970) {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        // Fields after the command name, which may hold spaces and parentheses: state is field 3.
        let fields = stat[stat.index(after: close)...].split(separator: " ").map(String.init)
        guard fields.count > 20, let ppid = Int32(fields[1]), let ttyNumber = Int(fields[4]),
              let userTicks = Double(fields[11]), let systemTicks = Double(fields[12]), let startTicks = Double(fields[19]) else { return nil }
        let hertz = Double(sysconf(Int32(_SC_CLK_TCK)))
        let uptime = (try? String(contentsOfFile: "/proc/uptime", encoding: .utf8))?.split(separator: " ").first.flatMap { Double($0) } ?? 0
        let cpuSeconds = (userTicks + systemTicks) / hertz
        let age = max(uptime - startTicks / hertz, 0.001)
        self.pid = pid
        self.ppid = ppid
        cpu = Int(cpuSeconds / age * 100)
        started = Self.clock(now - age)
        tty = ttyNumber == 0 ? "?" : Self.terminal(ttyNumber)
        time = Self.duration(Int(cpuSeconds))
        uid = Self.user(pid: pid)
        let commandLine = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))) ?? Data()
        let words = commandLine.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        // Kernel threads and zombies have no command line: ps shows the name in brackets.
        command = words.isEmpty ? "[" + String(stat[stat.index(after: stat.firstIndex(of: "(") ?? stat.startIndex)..<close]) + "]"
                                : words.joined(separator: " ")
    }

    /// The aligned table, columns separated as docker separates them.
    static func table(_ rows: [ProcessRow]) -> String {
        let cells = [header] + rows.map { [$0.uid, String($0.pid), String($0.ppid), String($0.cpu), $0.started, $0.tty, $0.time, $0.command] }
        let widths = header.indices.map { column in cells.map { $0[column].count }.max() ?? 0 }
        return cells.map { line in
            line.indices.map { column in
                column == line.count - 1 ? line[column] : line[column].padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "   ")
        }.joined(separator: "\n")
    }

    /// The real UID's name in the host's /etc/passwd (docker shows host names), else the number.
    static func user(pid: Int32) -> String {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Uid:") }),
              let uid = line.split(whereSeparator: { $0 == "\t" || $0 == " " }).dropFirst().first.map(String.init) else { return "?" }
        guard let entry = getpwuid(uid_t(uid) ?? UInt32.max), let name = entry.pointee.pw_name else { return uid }
        return String(cString: name)
    }

    /// `HH:MM` for a start today, else `MonDD`, as ps prints STIME.
    static func clock(_ time: Double) -> String {
        let date = Date(timeIntervalSince1970: time)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = Calendar.current.isDateInToday(date) ? "HH:mm" : "MMMdd"
        return formatter.string(from: date)
    }

    /// `[DD-]HH:MM:SS` of CPU time.
    static func duration(_ seconds: Int) -> String {
        let days = seconds / 86400, hours = seconds / 3600 % 24, minutes = seconds / 60 % 60, rest = seconds % 60
        let clock = [hours, minutes, rest].map { $0 < 10 ? "0\($0)" : "\($0)" }.joined(separator: ":")
        return days > 0 ? "\(days)-\(clock)" : clock
    }

    /// `pts/N` or `ttyN` from the encoded device number of /proc/<pid>/stat's tty_nr.
    static func terminal(_ number: Int) -> String {
        let major = (number >> 8) & 0xfff, minor = (number & 0xff) | ((number >> 12) & 0xfff00)
        return major == 136 ? "pts/\(minor)" : "tty\(minor)"
    }
}
