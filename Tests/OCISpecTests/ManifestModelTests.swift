import Foundation
import Testing
@testable import OCISpec

@Suite("Manifest, index and config models")
struct ManifestModelTests {
    static let configDigest = "sha256:" + String(repeating: "1", count: 64)
    static let layerDigest = "sha256:" + String(repeating: "2", count: 64)

    @Test("a Docker schema 2 manifest decodes with its media types")
    func dockerManifest() throws {
        let json = """
        {"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
         "config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":1469,"digest":"\(Self.configDigest)"},
         "layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":3370706,"digest":"\(Self.layerDigest)"}]}
        """
        let manifest = try JSONDecoder().decode(ImageManifest.self, from: Data(json.utf8))
        #expect(manifest.mediaType?.isManifest == true)
        #expect(manifest.config.size == 1469)
        #expect(manifest.layers.map(\.mediaType.layerCompression) == [.gzip])
    }

    @Test("layer media types map to their compression", arguments: [
        (MediaType.ociLayerTar, LayerCompression?.some(.none)),
        (.ociLayerGzip, .gzip),
        (.ociLayerZstd, .zstd),
        (.dockerLayerGzip, .gzip),
        ("application/vnd.example.unknown", nil),
        (.ociConfig, nil),
    ])
    func compression(type: MediaType, expected: LayerCompression?) {
        #expect(type.layerCompression == expected)
    }

    @Test("an index resolves to the requested platform", arguments: [
        ("linux/amd64", "a"), ("linux/arm64", "b"), ("linux/arm64/v8", "b"), ("linux/arm/v7", "c"),
        ("linux/arm/v6", nil), ("windows/amd64", nil),
    ] as [(String, String?)])
    func platformResolution(platform: String, expected: String?) throws {
        func entry(_ fill: String, _ platform: Platform?) throws -> Descriptor {
            Descriptor(mediaType: .ociManifest, digest: try Digest(parsing: "sha256:" + String(repeating: fill, count: 64)),
                       size: 1, platform: platform)
        }
        let index = ImageIndex(manifests: [
            try entry("0", nil),  // attestation without platform
            try entry("a", Platform(os: "linux", architecture: "amd64")),
            try entry("b", Platform(os: "linux", architecture: "arm64", variant: "v8")),
            try entry("c", Platform(os: "linux", architecture: "arm", variant: "v7")),
        ])
        let chosen = index.manifest(for: try Platform(parsing: platform))
        #expect(chosen?.digest.encoded.first.map(String.init) == expected)
    }

    @Test("image config keeps ports and volumes and writes them back as objects")
    func configRoundTrip() throws {
        let json = """
        {"architecture":"amd64","os":"linux","created":"2024-01-01T00:00:00Z",
         "config":{"Env":["PATH=/bin"],"Cmd":["sh"],"ExposedPorts":{"80/tcp":{},"443/tcp":{}},"Volumes":{"/data":{}},"WorkingDir":"/"},
         "rootfs":{"type":"layers","diff_ids":["\(Self.layerDigest)"]},
         "history":[{"created_by":"ADD rootfs /","created":"2024-01-01T00:00:00Z"},{"created_by":"CMD sh","empty_layer":true}]}
        """
        let config = try JSONDecoder().decode(ImageConfig.self, from: Data(json.utf8))
        #expect(config.config?.exposedPorts == ["443/tcp", "80/tcp"])
        #expect(config.config?.volumes == ["/data"])
        #expect(config.rootfs.diffIDs.map(\.description) == [Self.layerDigest])
        #expect(config.history?.last?.emptyLayer == true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let text = String(decoding: try encoder.encode(config.config), as: UTF8.self)
        #expect(text.contains(#""ExposedPorts":{"443\/tcp":{},"80\/tcp":{}}"#))
        #expect(try JSONDecoder().decode(ImageConfig.self, from: encoder.encode(config)) == config)
    }
}
