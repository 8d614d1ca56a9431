import Foundation
@testable import Images
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Debian's `docker-registry` (the distribution registry) on 127.0.0.1 and a free port, with its
/// own storage directory; stopped when the value is released.
final class RegistryServer {
    enum Auth {
        case none
        case htpasswd(user: String, password: String)
        /// Token auth: the registry trusts `certificate` and sends clients to `realm`.
        case token(realm: String, service: String, issuer: String, certificate: URL)
    }

    static let binary = "/usr/bin/docker-registry"
    let port: Int
    let directory: TemporaryDirectory
    let process: Process
    var address: String { "127.0.0.1:\(port)" }

    /// Why registry tests cannot run here, or nil when they can.
    static var unavailableReason: String? {
        for tool in [binary, "/usr/bin/skopeo"] where !FileManager.default.isExecutableFile(atPath: tool) {
            return "\(tool) is not installed (apt-get install docker-registry skopeo; see .ci/deps)"
        }
        return nil
    }

    init(auth: Auth = .none) async throws {
        directory = try TemporaryDirectory("berth-registry")
        port = try freePort()
        var authSection = ""
        switch auth {
        case .none: break
        case .htpasswd(let user, let password):
            let file = directory.path("htpasswd")
            try run("/usr/bin/htpasswd", ["-Bbc", file.path, user, password])
            authSection = "auth:\n  htpasswd:\n    realm: berth-test\n    path: \(file.path)\n"
        case .token(let realm, let service, let issuer, let certificate):
            authSection = "auth:\n  token:\n    realm: \(realm)\n    service: \(service)\n    issuer: \(issuer)\n    rootcertbundle: \(certificate.path)\n"
        }
        let config = """
        version: 0.1
        log:
          level: error
          accesslog:
            disabled: true
        storage:
          filesystem:
            rootdirectory: \(directory.path("storage").path)
          delete:
            enabled: true
        http:
          addr: 127.0.0.1:\(port)
        \(authSection)
        """
        let configURL = directory.path("config.yml")
        try config.write(to: configURL, atomically: true, encoding: .utf8)
        process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["serve", configURL.path]
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        try await waitUntilReady()
    }

    deinit {
        process.terminate()
        process.waitUntilExit()
    }

    private func waitUntilReady() async throws {
        let url = URL(string: "http://\(address)/v2/")!
        for _ in 0..<100 {
            // HTTPExchange, not URLSession.shared: corelibs hangs on a Basic 401 without a delegate.
            if let (_, response) = try? await HTTPExchange.perform(URLRequest(url: url)),
               response.statusCode == 200 || response.statusCode == 401
            {
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw FixtureError("docker-registry did not answer on \(address)")
    }

    /// Pushes an OCI layout with skopeo, so Berth is tested against content it did not write.
    func push(layout: URL, as name: String, all: Bool = false, credentials: String? = nil) throws {
        var arguments = ["--insecure-policy", "copy", "-q", "--dest-tls-verify=false"]
        if all { arguments.append("--all") }
        if let credentials { arguments += ["--dest-creds", credentials] }
        arguments += ["oci:\(layout.path):latest", "docker://\(address)/\(name)"]
        try run("/usr/bin/skopeo", arguments)
    }

    /// The file where the registry keeps a blob, for corruption tests.
    func blobFile(_ encoded: String) -> URL {
        directory.path("storage/docker/registry/v2/blobs/sha256/\(encoded.prefix(2))/\(encoded)/data")
    }
}

struct FixtureError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

@discardableResult
func run(_ tool: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tool)
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let text = String(decoding: data, as: UTF8.self)
    guard process.terminationStatus == 0 else {
        throw FixtureError("\(tool) \(arguments.joined(separator: " ")) failed (\(process.terminationStatus)): \(text)")
    }
    return text
}

/// A TCP port nobody listens on right now (the kernel picks it).
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw FixtureError("socket: \(errno)") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
            bind(fd, socketAddress, length) == 0 && getsockname(fd, socketAddress, &length) == 0
        }
    }
    guard bound else { throw FixtureError("bind: \(errno)") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// The fixture images, built once per test process by `Fixtures/build-images.sh`.
enum FixtureImages {
    static let directory: Result<URL, any Error> = {
        do {
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/build-images.sh")
            let output = FileManager.default.temporaryDirectory.appendingPathComponent("berth-fixture-images-\(getuid())")
            try run("/bin/bash", [script.path, output.path])
            return .success(output)
        } catch {
            return .failure(error)
        }
    }()

    static func layout(_ name: String) throws -> URL { try directory.get().appendingPathComponent(name) }
}
