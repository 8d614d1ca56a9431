// berth-netbench: drives the Networking target's forwarder and DNS server from
// Benchmarks/network.sh, without the rest of berth. Not installed, not in `berth --help`.
//
//   berth-netbench forward tcp|udp LISTEN TARGET   forwards until stdin closes; prints the bound address
//   berth-netbench dns [COUNT]                     answers COUNT service-name queries; prints median/p99 µs
#if canImport(Glibc)
import Glibc
#endif
import Networking

/// Writes a line straight to a descriptor: unbuffered, so the script sees it at once.
func emit(_ line: String, to fd: Int32 = 1) {
    let bytes = Array((line + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
}

func fail(_ message: String) -> Never {
    emit("berth-netbench: \(message)", to: 2)
    exit(2)
}

func monotonic() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}

func tenths(_ value: Double) -> String {
    let scaled = Int((value * 10).rounded())
    return "\(scaled / 10).\(scaled % 10)"
}

let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "forward":
    guard arguments.count == 4, let proto = PortForwarder.Proto(rawValue: arguments[1]),
          let listen = SocketAddress(arguments[2]), let target = SocketAddress(arguments[3]) else {
        fail("usage: berth-netbench forward tcp|udp LISTEN TARGET (addresses as 127.0.0.1:8080)")
    }
    do {
        let forwarder = try PortForwarder(proto: proto, listen: listen, target: target)
        emit(forwarder.address.description)
        // Serve until the script closes our stdin (or dies).
        var byte: UInt8 = 0
        while read(0, &byte, 1) > 0 {}
        forwarder.shutdown()
    } catch {
        fail("\(error)")
    }

case "dns":
    let count = arguments.count > 1 ? Int(arguments[1]) ?? 10000 : 10000
    guard let ip = IPAddress("127.0.10.1"), let web = IPAddress("10.89.0.2"), let web2 = IPAddress("10.89.0.3") else { fail("addresses") }
    var names: [String: [IPAddress]] = ["web": [web, web2]]
    for index in 0..<200 { names["service\(index)"] = [IPAddress(bytes: [10, 89, 1, UInt8(index)]) ?? web] }
    do {
        let server = try DNSServer(listen: SocketAddress(ip, 0), table: DNSNameTable(names), options: .init(upstreams: []))
        defer { server.shutdown() }
        let query = try DNSMessage(id: 1, flags: .init(), questions: [.init(name: "web", type: .a)]).serialized()
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0, server.address.withSockAddr({ connect(fd, $0, $1) }) == 0 else { fail("connect") }
        var buffer = [UInt8](repeating: 0, count: 1500)
        var samples: [Double] = []
        samples.reserveCapacity(count)
        for round in 0..<(count + 200) {
            let start = monotonic()
            _ = query.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 12 { fail("no answer") }
            if round >= 200 { samples.append(monotonic() - start) }  // the first 200 warm up
        }
        samples.sort()
        let median = samples[samples.count / 2] * 1e6, p99 = samples[samples.count * 99 / 100] * 1e6
        emit("dns queries=\(count) median_us=\(tenths(median)) p99_us=\(tenths(p99))")
    } catch {
        fail("\(error)")
    }

default:
    fail("usage: berth-netbench forward tcp|udp LISTEN TARGET | berth-netbench dns [COUNT]")
}
