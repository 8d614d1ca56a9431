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
            // A line that is not a record (a disk that filled mid-write) is skipped, as docker does.
            guard let record = try? decoder.decode(Record.self, from: Data(line)),
                  let time = LogTime(rfc3339: record.time) else { continue }
            entries.append(LogEntry(time: time, stream: record.stream == "stderr" ? .stderr : .stdout, text: record.log))
        }
        buffer.removeFirst(final ? buffer.count : start)
        return entries
    }
}
