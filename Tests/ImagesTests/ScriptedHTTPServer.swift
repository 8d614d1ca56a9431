import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A one-thread HTTP/1.1 server on 127.0.0.1 that answers each connection with the next of its
/// scripted responses (the last one repeats) and records when each request arrived, so retry
/// timing is measured where the requests land. Bodyless requests only (GET, HEAD): enough for a
/// registry client's retry paths.
final class ScriptedHTTPServer: Sendable {
    struct Response: Sendable {
        var status: Int
        var headers: [String: String] = [:]
        var body = Data()
    }

    struct Request: Sendable {
        var line: String
        var arrived: ContinuousClock.Instant
    }

    let port: Int
    private let listener: Int32
    private let state = Mutex<(responses: [Response], served: [Request])>(([], []))
    var address: String { "127.0.0.1:\(port)" }
    var requests: [Request] { state.withLock { $0.served } }

    init(_ responses: [Response]) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw FixtureError("socket: \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(fd, socketAddress, length) == 0 && getsockname(fd, socketAddress, &length) == 0
            }
        }
        guard bound, listen(fd, 16) == 0 else { close(fd); throw FixtureError("bind/listen: \(errno)") }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        state.withLock { $0.responses = responses }
        let thread = Thread { [self] in serve() }
        thread.start()
    }

    /// Stops accepting: `accept` in the serving thread fails and the thread ends.
    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func serve() {
        while true {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { return }
            var received = Data()
            var buffer = [UInt8](repeating: 0, count: 4096)
            while received.range(of: Data("\r\n\r\n".utf8)) == nil {
                let count = read(connection, &buffer, buffer.count)
                guard count > 0 else { break }
                received.append(contentsOf: buffer[0..<count])
            }
            let line = String(decoding: received, as: UTF8.self).components(separatedBy: "\r\n").first ?? ""
            let response = state.withLock { state -> Response in
                state.served.append(Request(line: line, arrived: .now))
                return state.responses.count > 1 ? state.responses.removeFirst() : state.responses.first ?? Response(status: 500)
            }
            var head = "HTTP/1.1 \(response.status) Scripted\r\nContent-Length: \(response.body.count)\r\nConnection: close\r\n"
            for (name, value) in response.headers.sorted(by: { $0.key < $1.key }) { head += "\(name): \(value)\r\n" }
            let bytes = Data((head + "\r\n").utf8) + (line.hasPrefix("HEAD") ? Data() : response.body)
            bytes.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let written = write(connection, raw.baseAddress?.advanced(by: offset), raw.count - offset)
                    guard written > 0 else { break }
                    offset += written
                }
            }
            close(connection)
        }
    }
}
