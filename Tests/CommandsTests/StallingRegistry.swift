import Foundation
import Images
import OCISpec
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A registry on 127.0.0.1 serving one image `stall/app:1` (a config and two plain layers), whose
/// second layer is held back until `release()`: a pull is caught with its config and first layer
/// stored and unpacked but the image not yet named. A thread per connection, so the held request
/// does not stop the others.
final class StallingRegistry: Sendable {
    let port: Int
    let firstLayer: Descriptor
    let secondLayer: Descriptor
    let config: Descriptor
    private let blobs: [Digest: Data]
    private let manifest: Data
    private let listener: Int32
    private let state = Mutex<(released: Bool, heldRequests: Int)>((false, 0))

    var reference: String { "127.0.0.1:\(port)/stall/app:1" }
    /// Whether the pull has asked for the held layer (so everything before it is stored).
    var holding: Bool { state.withLock { $0.heldRequests > 0 } }

    init() throws {
        func layer(_ name: String) throws -> Data {
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("stall-\(UUID().uuidString).tar")
            defer { try? FileManager.default.removeItem(at: url) }
            let writer = try TarWriter(path: url)
            try writer.addFile(name, contents: Data(repeating: UInt8(ascii: "x"), count: 4096))
            try writer.close()
            return try Data(contentsOf: url)
        }
        let first = try layer("first"), second = try layer("second")
        firstLayer = Descriptor(mediaType: .ociLayerTar, digest: ContentStore.digest(of: first), size: Int64(first.count))
        secondLayer = Descriptor(mediaType: .ociLayerTar, digest: ContentStore.digest(of: second), size: Int64(second.count))
        let configData = try JSONEncoder().encode(ImageConfig(
            architecture: Platform.current.architecture, os: "linux",
            rootfs: .init(diffIDs: [firstLayer.digest, secondLayer.digest])))
        config = Descriptor(mediaType: .ociConfig, digest: ContentStore.digest(of: configData), size: Int64(configData.count))
        manifest = try JSONEncoder().encode(ImageManifest(mediaType: .ociManifest, config: config, layers: [firstLayer, secondLayer]))
        blobs = [firstLayer.digest: first, secondLayer.digest: second, config.digest: configData]

        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard fd >= 0, bound, listen(fd, 16) == 0 else { throw CocoaError(.fileReadUnknown) }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread { [self] in
            while true {
                let connection = accept(listener, nil, nil)
                guard connection >= 0 else { return }
                Thread { [self] in answer(connection) }.start()
            }
        }.start()
    }

    func release() { state.withLock { $0.released = true } }

    func stop() {
        release()
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func answer(_ connection: Int32) {
        defer { close(connection) }
        var received = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while received.range(of: Data("\r\n\r\n".utf8)) == nil {
            let count = read(connection, &buffer, buffer.count)
            guard count > 0 else { return }
            received.append(contentsOf: buffer[0..<count])
        }
        let line = String(decoding: received, as: UTF8.self).components(separatedBy: "\r\n").first ?? ""
        let parts = line.split(separator: " ")
        guard parts.count >= 2 else { return }
        let path = String(parts[1])
        var status = 404, body = Data(), headers: [String: String] = [:]
        if path == "/v2/" {
            (status, body) = (200, Data("{}".utf8))
        } else if path.hasPrefix("/v2/stall/app/manifests/") {
            (status, body) = (200, manifest)
            headers = ["Content-Type": MediaType.ociManifest.rawValue, "Docker-Content-Digest": ContentStore.digest(of: manifest).description]
        } else if path.hasPrefix("/v2/stall/app/blobs/"), let digest = try? Digest(parsing: String(path.dropFirst("/v2/stall/app/blobs/".count))),
                  let blob = blobs[digest]
        {
            if digest == secondLayer.digest {
                state.withLock { $0.heldRequests += 1 }
                while !state.withLock({ $0.released }) { usleep(20_000) }
            }
            (status, body) = (200, blob)
            headers = ["Content-Type": "application/octet-stream", "Docker-Content-Digest": digest.description]
        }
        var head = "HTTP/1.1 \(status) X\r\nContent-Length: \(body.count)\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        let bytes = Data((head + "\r\n").utf8) + (parts[0] == "HEAD" ? Data() : body)
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = write(connection, raw.baseAddress?.advanced(by: offset), raw.count - offset)
                guard written > 0 else { break }
                offset += written
            }
        }
    }
}
