#if canImport(Glibc)
import Glibc
#endif
import EngineAPI
import Foundation

/// One record of a container's json-file log.
public struct LogEntry: Sendable, Hashable {
    public enum Stream: String, Sendable, Hashable, Codable { case stdout, stderr }

    public var time: LogTime
    public var stream: Stream
    /// The bytes the container wrote, as UTF-8 text: a whole line with its newline, or a piece
    /// of a longer line (docker's partial records) without one.
    public var text: String

    public init(time: LogTime, stream: Stream, text: String) {
        self.time = time
        self.stream = stream
        self.text = text
    }
}

/// Reads a container's json-file log (`<id>-json.log`, rotated to `.1`, `.2`, … newest first) and
/// then follows it: across a rotation (the live file renamed under the reader, which finishes
/// the old file before it opens the new one) and a truncation (`max-file 1`). Not thread-safe:
/// one reader per container, used by one task.
public final class ContainerLogReader {
    public let path: String
    private var fd: Int32 = -1
    private var inode: ino_t = 0
    private var offset: Int64 = 0
    private var pending: [UInt8] = []

    public init(path: String) { self.path = path }

    deinit { if fd >= 0 { close(fd) } }

    /// Every record in the rotated files and the live one, oldest first. The reader then stands
    /// at the end of the live file, where `readNew` continues.
    public func readAll() -> [LogEntry] {
        var rotated: [String] = []
        while access(path + ".\(rotated.count + 1)", F_OK) == 0 { rotated.append(path + ".\(rotated.count + 1)") }
        var entries: [LogEntry] = []
        for file in rotated.reversed() {
            let handle = open(file, O_RDONLY | O_CLOEXEC)
            guard handle >= 0 else { continue }
            var buffer: [UInt8] = []
            Self.readToEnd(handle, into: &buffer)
            close(handle)
            entries += Self.parse(&buffer, final: true)
        }
        return entries + readNew()
    }

    /// The records written since the last call.
    public func readNew() -> [LogEntry] {
        if fd < 0 && !reopen() { return [] }
        var entries = drain()
        var info = stat()
        if stat(path, &info) == 0 && info.st_ino != inode {
            // Rotated: the old file is complete (the monitor writes whole records), read on.
            entries += Self.parse(&pending, final: true)
            close(fd)
            fd = -1
            if reopen() { entries += drain() }
        } else if fstat(fd, &info) == 0 && Int64(info.st_size) < offset {
            // Truncated in place (max-file 1): start over at the beginning.
            pending = []
            offset = Int64(lseek(fd, 0, SEEK_SET))
            entries += drain()
        }
        return entries
    }

    private func reopen() -> Bool {
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        var info = stat()
        fstat(fd, &info)
        inode = info.st_ino
        offset = 0
        pending = []
        return true
    }

    private func drain() -> [LogEntry] {
        offset += Int64(Self.readToEnd(fd, into: &pending))
        return Self.parse(&pending, final: false)
    }

    @discardableResult
    private static func readToEnd(_ fd: Int32, into buffer: inout [UInt8]) -> Int {
        var chunk = [UInt8](repeating: 0, count: 65536)
        var total = 0
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return total }
            buffer += chunk[0..<n]
            total += n
        }
    }

    private struct Record: Decodable {
        var log: String
        var stream: String
        var time: String
    }

    /// Parses the complete lines of `buffer` and keeps an unfinished last line there (the
    /// monitor may be half-way through writing it); `final` drops one for good.
    static func parse(_ buffer: inout [UInt8], final: Bool) -> [LogEntry] {
        var entries: [LogEntry] = []
        let decoder = JSONDecoder()
        var start = 0
        while let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
            let line = buffer[start..<newline]
            start = newline + 1
            // The monitor's own layout is read by hand (JSONDecoder costs ~10 µs a line); any
            // other valid record goes through JSONDecoder; a line that is not a record (a disk
            // that filled mid-write) is skipped, as docker does.
            let scanned = RecordScanner.scan(line) ?? (try? decoder.decode(Record.self, from: Data(line))).map { ($0.log, $0.stream, $0.time) }
            guard let record = scanned, let time = LogTime(rfc3339: record.time) else { continue }
            entries.append(LogEntry(time: time, stream: record.stream == "stderr" ? .stderr : .stdout, text: record.log))
        }
        buffer.removeFirst(final ? buffer.count : start)
        return entries
    }
}

/// Reads a record laid out as berth-init (and docker) writes it, `{"log":"…","stream":"…","time":"…"}`,
/// unescaping JSON strings; nil for anything else, which the caller hands to JSONDecoder.
enum RecordScanner {
    static func scan(_ line: ArraySlice<UInt8>) -> (log: String, stream: String, time: String)? {
        var index = line.startIndex
        func expect(_ literal: StaticString) -> Bool {
            let bytes = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
            guard line.endIndex - index >= bytes.count, line[index..<(index + bytes.count)].elementsEqual(bytes) else { return false }
            index += bytes.count
            return true
        }
        guard expect("{\"log\":"), let log = string(line, &index), expect(",\"stream\":"), let stream = string(line, &index),
              expect(",\"time\":"), let time = string(line, &index), expect("}"), index == line.endIndex else { return nil }
        return (log, stream, time)
    }

    /// The JSON string starting at `index` (its opening quote), unescaped; `index` ends after it.
    static func string(_ line: ArraySlice<UInt8>, _ index: inout Int) -> String? {
        guard index < line.endIndex, line[index] == UInt8(ascii: "\"") else { return nil }
        index += 1
        var bytes: [UInt8] = []
        var start = index
        while index < line.endIndex {
            let byte = line[index]
            if byte == UInt8(ascii: "\"") {
                bytes += line[start..<index]
                index += 1
                return String(decoding: bytes, as: UTF8.self)
            }
            guard byte == UInt8(ascii: "\\") else { index += 1; continue }
            bytes += line[start..<index]
            guard index + 1 < line.endIndex else { return nil }
            let escape = line[index + 1]
            index += 2
            switch escape {
            case UInt8(ascii: "n"): bytes.append(10)
            case UInt8(ascii: "t"): bytes.append(9)
            case UInt8(ascii: "r"): bytes.append(13)
            case UInt8(ascii: "b"): bytes.append(8)
            case UInt8(ascii: "f"): bytes.append(12)
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): bytes.append(escape)
            case UInt8(ascii: "u"):
                guard var scalar = hex4(line, index) else { return nil }
                index += 4
                if (0xD800..<0xDC00).contains(scalar), index + 6 <= line.endIndex, line[index] == UInt8(ascii: "\\"),
                   line[index + 1] == UInt8(ascii: "u"), let low = hex4(line, index + 2), (0xDC00..<0xE000).contains(low) {
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    index += 6
                }
                bytes += Array(String(Unicode.Scalar(scalar).map(Character.init) ?? "\u{FFFD}").utf8)
            default:
                return nil
            }
            start = index
        }
        return nil
    }

    private static func hex4(_ line: ArraySlice<UInt8>, _ at: Int) -> UInt32? {
        guard at + 4 <= line.endIndex else { return nil }
        var value: UInt32 = 0
        for byte in line[at..<(at + 4)] {
            let digit: UInt8
            switch byte {
            case 48...57: digit = byte - 48
            case 97...102: digit = byte - 87
            case 65...70: digit = byte - 55
            default: return nil
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }
}
