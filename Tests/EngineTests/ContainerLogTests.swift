@testable import Engine
import EngineAPI
import Foundation
import Testing

/// Reading and following json-file logs, on files the test writes (no containers).
@Suite("Container log reader")
struct ContainerLogReaderTests {
    static func record(_ text: String, _ stream: String = "stdout", _ time: String) -> String {
        let escaped = text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
        return "{\"log\":\"\(escaped)\",\"stream\":\"\(stream)\",\"time\":\"\(time)\"}\n"
    }

    static func append(_ path: String, _ text: String) throws {
        let handle = FileHandle(forWritingAtPath: path) ?? {
            FileManager.default.createFile(atPath: path, contents: nil)
            return FileHandle(forWritingAtPath: path)
        }()
        guard let handle else { throw CocoaError(.fileWriteUnknown) }
        handle.seekToEndOfFile()
        handle.write(Data(text.utf8))
        try handle.close()
    }

    static func scratch() throws -> String {
        let dir = NSTemporaryDirectory() + "berth-logs-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test("rotated files are read oldest first, then the live one; an unfinished record waits for its newline")
    func rotatedThenLive() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/c-json.log"
        try Self.append(path + ".2", Self.record("one\n", "stdout", "2026-11-22T17:00:01.000000001Z"))
        try Self.append(path + ".1", Self.record("two\n", "stderr", "2026-11-22T17:00:02.000000000Z"))
        try Self.append(path, Self.record("three\n", "stdout", "2026-11-22T17:00:03.5Z") + "{\"log\":\"fo")
        let reader = ContainerLogReader(path: path)
        let entries = reader.readAll()
        #expect(entries.map(\.text) == ["one\n", "two\n", "three\n"])
        #expect(entries.map(\.stream) == [.stdout, .stderr, .stdout])
        #expect(entries[0].time == LogTime(seconds: 1_795_366_801, nanoseconds: 1))
        #expect(entries[2].time.nanoseconds == 500_000_000)
        try Self.append(path, "ur\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-22T17:00:04Z\"}\n")
        #expect(reader.readNew().map(\.text) == ["four\n"], "the record completed by a later write")
        #expect(reader.readNew().isEmpty)
    }

    @Test("records are unescaped as JSON: the monitor's layout by hand, any other field order through JSONDecoder; broken lines are skipped")
    func unescaping() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/c-json.log"
        try Self.append(path, #"{"log":"q\"\\\t\u003c\u00e9\ud83d\ude00é\/\n","stream":"stdout","time":"2026-11-22T17:00:01Z"}"# + "\n"
            + #"{"stream":"stderr","time":"2026-11-22T17:00:02Z","log":"reordered\n"}"# + "\n"
            + #"{"log":"cut off"# + "\n"
            + #"{"log":"last\n","stream":"stdout","time":"2026-11-22T17:00:03Z"}"# + "\n")
        let entries = ContainerLogReader(path: path).readAll()
        #expect(entries.map(\.text) == ["q\"\\\t<é😀é/\n", "reordered\n", "last\n"])
        #expect(entries.map(\.stream) == [.stdout, .stderr, .stdout])
    }

    @Test("the hand scanner reads the monitor's layout itself and declines other layouts")
    func scanner() {
        let line = Array(#"{"log":"q\"\\\t\u003c\ud83d\ude00\/\n","stream":"stderr","time":"2026-11-22T17:00:01Z"}"#.utf8)
        let record = RecordScanner.scan(line[...])
        #expect(record?.log == "q\"\\\t<😀/\n")
        #expect(record?.stream == "stderr")
        #expect(record?.time == "2026-11-22T17:00:01Z")
        #expect(RecordScanner.scan(Array(#"{"stream":"stderr","log":"x","time":"t"}"#.utf8)[...]) == nil)
        #expect(RecordScanner.scan(Array(#"{"log":"x\q","stream":"stderr","time":"t"}"#.utf8)[...]) == nil)
    }

    @Test("following continues across a rotation: the old file is finished, then the new one is read from its start")
    func followAcrossRotation() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/c-json.log"
        try Self.append(path, Self.record("a\n", "stdout", "2026-11-22T17:00:01Z"))
        let reader = ContainerLogReader(path: path)
        #expect(reader.readAll().map(\.text) == ["a\n"])
        try Self.append(path, Self.record("b\n", "stdout", "2026-11-22T17:00:02Z"))
        #expect(rename(path, path + ".1") == 0)
        try Self.append(path, Self.record("c\n", "stdout", "2026-11-22T17:00:03Z"))
        #expect(reader.readNew().map(\.text) == ["b\n", "c\n"])
        try Self.append(path, Self.record("d\n", "stdout", "2026-11-22T17:00:04Z"))
        #expect(reader.readNew().map(\.text) == ["d\n"])
    }

    @Test("following continues after the live file is truncated (max-file 1)")
    func followAcrossTruncation() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/c-json.log"
        try Self.append(path, Self.record("first line\n", "stdout", "2026-11-22T17:00:01Z"))
        let reader = ContainerLogReader(path: path)
        #expect(reader.readAll().count == 1)
        #expect(truncate(path, 0) == 0)
        try Self.append(path, Self.record("x\n", "stdout", "2026-11-22T17:00:02Z"))
        #expect(reader.readNew().map(\.text) == ["x\n"])
    }

    @Test("times: RFC 3339 with any fraction and offset, Unix seconds, and durations before now", arguments: [
        ("2026-11-22T17:00:00Z", LogTime(seconds: 1_795_366_800)),
        ("2026-11-22T17:00:00.123456789Z", LogTime(seconds: 1_795_366_800, nanoseconds: 123_456_789)),
        ("2026-11-22T17:00:00.5Z", LogTime(seconds: 1_795_366_800, nanoseconds: 500_000_000)),
        ("2026-11-22T18:30:00+01:30", LogTime(seconds: 1_795_366_800)),
        ("2026-11-22", LogTime(seconds: 1_795_305_600)),
        ("1795366800", LogTime(seconds: 1_795_366_800)),
        ("10m", LogTime(seconds: 1_795_366_800 - 600)),
        ("1h30m", LogTime(seconds: 1_795_366_800 - 5400)),
        ("250ms", LogTime(seconds: 1_795_366_799, nanoseconds: 750_000_000)),
    ])
    func times(text: String, expected: LogTime) {
        #expect(LogTime(filter: text, now: Date(timeIntervalSince1970: 1_795_366_800)) == expected)
    }

    @Test("malformed times are refused", arguments: ["", "yesterday", "2026-13-01", "2026-11-22T17:00", "10x", "-5"])
    func badTimes(text: String) {
        #expect(LogTime(filter: text) == nil)
    }

    @Test("a time prints as docker's json-file writes it")
    func timeText() {
        #expect(LogTime(seconds: 1_795_366_800, nanoseconds: 1200).description == "2026-11-22T17:00:00.000001200Z")
    }
}

/// What berth-init's monitor captures from real containers, as root.
@Suite("Container log capture", .enabled(if: EngineFixture.unavailableReason == nil, "\(EngineFixture.unavailableReason ?? "")"))
struct ContainerLogCaptureTests {
    @Test("stdout and stderr land in <id>-json.log as docker's records, long lines split at 16 KiB, the last partial line flushed, before the exit is recorded")
    func capture() async throws {
        let area = try EngineFixture.Area()
        defer { area.remove() }
        let script = #"echo out; echo err >&2; printf 'q"\\\t<\n'; busybox head -c 40000 /dev/zero | busybox tr '\0' x; echo; printf tail; exit 4"#
        let id = try await area.engine.createContainer(try await area.spec("demo-app-1", command: ["sh", "-c", script]))
        try await area.engine.startContainer(id: id)
        let exited = try await area.waitForExit(id)
        #expect(exited?.exitCode == 4)
        let path = area.locations.log(id)
        #expect(path.hasSuffix("/\(id)/\(id)-json.log"))
        let raw = try String(contentsOfFile: path, encoding: .utf8)
        #expect(raw.hasPrefix(#"{"log":"out\n","stream":"stdout","time":"20"#), "\(raw.prefix(200))")
        #expect(raw.contains(#"{"log":"q\"\\\t\u003c\n","stream":"stdout","time":"#), "escaped as Go's encoder does")
        let time = try #require(raw.split(separator: "\n").first?.split(separator: "\"").dropLast().last)
        #expect(time.count == 30 && time.hasSuffix("Z"), "nanosecond RFC 3339 time: \(time)")

        let entries = ContainerLogReader(path: path).readAll()
        let stderr = entries.filter { $0.stream == .stderr }.map(\.text)
        #expect(stderr == ["err\n"])
        let stdout = entries.filter { $0.stream == .stdout }.map(\.text)
        let long = String(repeating: "x", count: 16384)
        #expect(stdout == ["out\n", "q\"\\\t<\n", long, long, String(repeating: "x", count: 40000 - 2 * 16384) + "\n", "tail"])
        #expect(entries.map(\.time) == entries.map(\.time).sorted(), "records are written in order")
    }

    @Test("with tty the container writes to a pty whose master the monitor logs, as stdout with the terminal's CRLF")
    func terminal() async throws {
        let area = try EngineFixture.Area()
        defer { area.remove() }
        var spec = try await area.spec("demo-app-1", command: ["sh", "-c", "[ -t 1 ] && echo is-a-tty; echo to-stderr >&2; exit 5"])
        spec.tty = true
        let id = try await area.engine.createContainer(spec)
        try await area.engine.startContainer(id: id)
        #expect(try await area.waitForExit(id)?.exitCode == 5)
        let entries = ContainerLogReader(path: area.locations.log(id)).readAll()
        #expect(entries.map(\.text) == ["is-a-tty\r\n", "to-stderr\r\n"])
        #expect(entries.allSatisfy { $0.stream == .stdout })
    }

    @Test("a container started again appends to the same log, and a reader following it reads on")
    func restartAppends() async throws {
        let area = try EngineFixture.Area()
        defer { area.remove() }
        let id = try await area.engine.createContainer(try await area.spec("demo-app-1", command: ["sh", "-c", "echo run"]))
        try await area.engine.startContainer(id: id)
        #expect(try await area.waitForExit(id)?.exitCode == 0)
        let reader = ContainerLogReader(path: area.locations.log(id))
        #expect(reader.readAll().map(\.text) == ["run\n"])
        try await area.engine.startContainer(id: id)
        #expect(try await area.waitForExit(id)?.exitCode == 0)
        #expect(reader.readNew().map(\.text) == ["run\n"], "the second run's line, read on from where the reader was")
        #expect(ContainerLogReader(path: area.locations.log(id)).readAll().count == 2)
    }

    @Test("max-size and max-file rotate the log as docker does: the live file, .1 and .2, none larger than max-size")
    func rotation() async throws {
        let area = try EngineFixture.Area()
        defer { area.remove() }
        var spec = try await area.spec("demo-app-1", command: ["sh", "-c", "i=0; while [ $i -lt 300 ]; do echo line-$i; i=$((i+1)); done"])
        spec.logging = ContainerSpec.Logging(driver: "json-file", options: ["max-size": "2k", "max-file": "3"])
        let id = try await area.engine.createContainer(spec)
        try await area.engine.startContainer(id: id)
        let exit = try await area.waitForExit(id)
        let path = area.locations.log(id)
        #expect(exit?.exitCode == 0, "\((try? String(contentsOfFile: path, encoding: .utf8)) ?? "")")
        for file in [path, path + ".1", path + ".2"] {
            let size = (try FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? -1
            #expect(size > 0 && size <= 2048, "\(file): \(size) bytes")
        }
        #expect(!FileManager.default.fileExists(atPath: path + ".3"), "max-file 3 keeps three files")
        let lines = ContainerLogReader(path: path).readAll().map(\.text)
        #expect(lines.last == "line-299\n")
        #expect(!lines.contains("line-0\n"), "the oldest lines rotated away")
        let numbers = lines.compactMap { Int($0.dropFirst(5).dropLast()) }
        #expect(numbers == Array((300 - numbers.count)..<300), "what is kept is contiguous and in order")
    }

    @Test("driver none keeps no log; a driver Berth lacks is refused when the container is created", arguments: [
        ("none", nil), ("gelf", "gelf"), ("syslog", "syslog"),
    ] as [(String, String?)])
    func drivers(driver: String, refusal: String?) async throws {
        let area = try EngineFixture.Area()
        defer { area.remove() }
        var spec = try await area.spec("demo-app-1", command: ["echo", "hi"])
        spec.logging = ContainerSpec.Logging(driver: driver)
        do {
            let id = try await area.engine.createContainer(spec)
            #expect(refusal == nil, "\(driver) should have been refused")
            try await area.engine.startContainer(id: id)
            #expect(try await area.waitForExit(id)?.exitCode == 0)
            #expect(!FileManager.default.fileExists(atPath: area.locations.log(id)))
        } catch let error as EngineError {
            #expect(error.code == .unsupported)
            #expect(refusal.map { error.message.contains("logging.driver \($0)") } == true, "\(error)")
        }
    }

    @Test("bad logging options are refused, naming the option", arguments: [
        (["max-size": "lots"], "max-size"), (["max-file": "0", "max-size": "1m"], "max-file"),
        (["max-file": "3"], "max-file needs max-size"), (["mode": "non-blocking"], "logging.options.mode"),
    ])
    func badOptions(options: [String: String], expected: String) async throws {
        let area = try EngineFixture.Area()
        defer { area.remove() }
        var spec = try await area.spec("demo-app-1", command: ["echo", "hi"])
        spec.logging = ContainerSpec.Logging(driver: "json-file", options: options)
        await #expect { _ = try await area.engine.createContainer(spec) } throws: { error in
            (error as? EngineError)?.message.contains(expected) == true
        }
    }
}
