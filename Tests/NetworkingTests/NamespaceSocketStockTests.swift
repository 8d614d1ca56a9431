#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization
@testable import Networking
import Testing

/// The stock of sockets a rootless forwarder takes one from per connection, against a stand-in
/// for `berth-init netns-holder` that answers op 4 (a batch of sockets) on a unix socket and
/// counts the requests it served.
@Suite("namespace socket stock")
struct NamespaceSocketStockTests {
    /// Serves `requests` batch requests, each answered with as many UDP sockets as asked.
    final class FakeHolder: Sendable {
        let path = NSTemporaryDirectory() + "stock-\(UUID().uuidString.prefix(8)).sock"
        let served = Atomic<Int>(0)
        let listener: Int32

        init() throws {
            listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { raw in for (i, b) in path.utf8.enumerated() { raw[i] = b } }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            guard bound == 0, listen(listener, 16) == 0 else { throw CocoaError(.fileWriteUnknown) }
            let thread = Thread { [self] in serve() }
            thread.start()
        }

        private func serve() {
            while true {
                let connection = accept(listener, nil, nil)
                if connection < 0 { return }
                var request = [Int32](repeating: 0, count: 5)
                _ = request.withUnsafeMutableBytes { read(connection, $0.baseAddress, $0.count) }
                let fds = (0..<Int(request[4])).map { _ in socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0) }
                var answer: Int32 = request[0] == 4 ? 0 : EINVAL
                served.add(1, ordering: .relaxed)  // before the answer, which the client waits for
                let space = 16 + 4 * fds.count
                var control = [UInt8](repeating: 0, count: (space + 7) & ~7)
                control.withUnsafeMutableBytes { raw in
                    raw.storeBytes(of: UInt64(space), as: UInt64.self)
                    raw.storeBytes(of: Int32(SOL_SOCKET), toByteOffset: 8, as: Int32.self)
                    raw.storeBytes(of: Int32(SCM_RIGHTS), toByteOffset: 12, as: Int32.self)
                    for (i, fd) in fds.enumerated() { raw.storeBytes(of: fd, toByteOffset: 16 + 4 * i, as: Int32.self) }
                }
                withUnsafeMutableBytes(of: &answer) { answerBytes in
                    control.withUnsafeMutableBytes { controlBytes in
                        var vector = iovec(iov_base: answerBytes.baseAddress, iov_len: 4)
                        withUnsafeMutablePointer(to: &vector) { vectorPointer in
                            var message = msghdr()
                            message.msg_iov = vectorPointer
                            message.msg_iovlen = 1
                            message.msg_control = fds.isEmpty ? nil : controlBytes.baseAddress
                            message.msg_controllen = fds.isEmpty ? 0 : controlBytes.count
                            _ = sendmsg(connection, &message, 0)
                        }
                    }
                }
                for fd in fds { close(fd) }
                close(connection)
            }
        }

        func stop() {
            shutdown(listener, Int32(SHUT_RDWR))
            close(listener)
            unlink(path)
        }
    }

    @Test("sockets come from the stock, one round trip to the holder per batch; a holder that ended empties it")
    func batches() throws {
        let fake = try FakeHolder()
        defer { fake.stop() }
        let pid = Mutex<Int32>(getpid())
        let stock = NamespaceSocketStock { () throws(NetworkingError) -> NamespaceHolder in
            NamespaceHolder(socketPath: fake.path, pid: pid.withLock { $0 })
        }
        var taken: Set<Int32> = []
        for _ in 0..<(NamespaceSocketStock.batch + 1) {
            taken.insert(try stock.socket(domain: AF_INET, type: Int32(SOCK_DGRAM.rawValue)))
        }
        #expect(taken.count == NamespaceSocketStock.batch + 1, "every socket is a different descriptor")
        #expect(fake.served.load(ordering: .relaxed) == 2, "two round trips for \(NamespaceSocketStock.batch + 1) sockets")
        for fd in taken { close(fd) }

        // The holder the stock came from is gone (no such process): its spare sockets are
        // dropped, and the next one comes from a new round trip.
        var child: pid_t = 0
        var arguments: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/true"), nil]
        defer { for argument in arguments { free(argument) } }
        #expect(posix_spawn(&child, "/bin/true", nil, nil, &arguments, nil) == 0)
        var status: Int32 = 0
        waitpid(child, &status, 0)
        pid.withLock { $0 = child }
        let stale = NamespaceSocketStock { () throws(NetworkingError) -> NamespaceHolder in
            NamespaceHolder(socketPath: fake.path, pid: pid.withLock { $0 })
        }
        let before = fake.served.load(ordering: .relaxed)
        close(try stale.socket(domain: AF_INET, type: Int32(SOCK_DGRAM.rawValue)))
        close(try stale.socket(domain: AF_INET, type: Int32(SOCK_DGRAM.rawValue)))
        #expect(fake.served.load(ordering: .relaxed) - before == 2, "no socket is kept from a holder that ended")
    }
}
