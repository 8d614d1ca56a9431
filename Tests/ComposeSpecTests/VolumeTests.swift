import Foundation
import Testing
@testable import ComposeSpec

/// Cases from compose-go's `format/volume_test.go` and its full example.
@Suite struct VolumeTests {
    typealias Bind = ServiceVolume.BindOptions
    typealias Volume = ServiceVolume.VolumeOptions

    static func bind(_ source: String, _ target: String, readOnly: Bool? = nil, _ options: Bind = Bind()) -> ServiceVolume {
        return ServiceVolume(type: .bind, source: source, target: target, readOnly: readOnly, bind: options)
    }

    @Test("parses the short syntax as compose-go's ParseVolume", arguments: [
        // anonymous volumes
        ("/path", ServiceVolume(type: .volume, target: "/path", volume: Volume())),
        ("/path/foo", ServiceVolume(type: .volume, target: "/path/foo", volume: Volume())),
        ("/var/lib/anonymous", ServiceVolume(type: .volume, target: "/var/lib/anonymous", volume: Volume())),
        (#"C:\path"#, ServiceVolume(type: .volume, target: #"C:\path"#, volume: Volume())),
        (#"Z:\path\foo"#, ServiceVolume(type: .volume, target: #"Z:\path\foo"#, volume: Volume())),
        // one or two characters are taken as a target without options
        (".", ServiceVolume(type: .volume, target: ".")),
        ("/a", ServiceVolume(type: .volume, target: "/a")),
        // binds
        ("./foo:/target", bind("./foo", "/target")),
        ("~/thing:/target", bind("~/thing", "/target")),
        ("../other:/target", bind("../other", "/target")),
        ("/foo:/target", bind("/foo", "/target")),
        (".:/code", bind(".", "/code")),
        (#"D:\path:d:\target"#, bind(#"D:\path"#, #"d:\target"#)),
        (#"\\.\pipe\docker_engine:\\.\pipe\inside"#, bind(#"\\.\pipe\docker_engine"#, #"\\.\pipe\inside"#)),
        ("~/configs:/etc/configs:ro", bind("~/configs", "/etc/configs", readOnly: true)),
        ("./foo:/target:rw", bind("./foo", "/target")),
        ("/source:/target:slave", bind("/source", "/target", Bind(propagation: "slave"))),
        ("/source:/target:ro,z", bind("/source", "/target", readOnly: true, Bind(selinux: "z"))),
        ("/source:/target:ro,Z", bind("/source", "/target", readOnly: true, Bind(selinux: "Z"))),
        ("/s:/t:rshared,Z,rw", bind("/s", "/t", Bind(propagation: "rshared", selinux: "Z"))),
        (#"C:\source\foo:D:\target:ro,rprivate"#, bind(#"C:\source\foo"#, #"D:\target"#, readOnly: true, Bind(propagation: "rprivate"))),
        ("/s:/t:nocopy", ServiceVolume(type: .bind, source: "/s", target: "/t", bind: Bind(), volume: Volume(nocopy: true))),
        // named volumes
        ("datavolume:/var/lib/volume", ServiceVolume(type: .volume, source: "datavolume", target: "/var/lib/volume", volume: Volume())),
        ("name:/target:nocopy", ServiceVolume(type: .volume, source: "name", target: "/target", volume: Volume(nocopy: true))),
        ("name:/target:bogus", ServiceVolume(type: .volume, source: "name", target: "/target", volume: Volume())),
        ("name:/target:ro,z", ServiceVolume(type: .volume, source: "name", target: "/target", readOnly: true, bind: Bind(selinux: "z"), volume: Volume())),
        ("a界:/data", ServiceVolume(type: .volume, source: "a界", target: "/data", volume: Volume())),
        ("name:D::rW", ServiceVolume(type: .volume, source: "name", target: "D:", volume: Volume())),
        // a one-letter name reads as a Windows drive, as in compose-go
        ("a:/data", ServiceVolume(type: .volume, target: "a:/data", volume: Volume())),
        // colons inside ${…} do not split
        ("/tmp:/tmp/${TIME:-12:30:45}/path", bind("/tmp", "/tmp/${TIME:-12:30:45}/path")),
        ("/src/${SRC:-default}:/dst/${DST:-value}", bind("/src/${SRC:-default}", "/dst/${DST:-value}")),
        ("/src:/target/${VAR:-default}/path:slave,ro", bind("/src", "/target/${VAR:-default}/path", readOnly: true, Bind(propagation: "slave"))),
        ("myvolume:/data/${VAR:-default}/path", ServiceVolume(type: .volume, source: "myvolume", target: "/data/${VAR:-default}/path", volume: Volume())),
        (#"C:\src\${VAR:-default}:D:\target"#, bind(#"C:\src\${VAR:-default}"#, #"D:\target"#)),
        ("${HOME:-/h}:/x", ServiceVolume(type: .volume, source: "${HOME:-/h}", target: "/x", volume: Volume())),
    ] as [(String, ServiceVolume)])
    func parsesShort(text: String, expected: ServiceVolume) throws {
        #expect(try ServiceVolume.parseShort(text) == expected)
    }

    @Test("rejects malformed short syntax, saying why", arguments: [
        ("/foo:/foo:ro:foo", "too many colons"),
        (":foo", "empty section between colons"),
        ("/foo::ro", "empty section between colons"),
        ("/foo::rw", "empty section between colons"),
        ("/foo:", "empty section between colons"),
        ("/a:/b:ro:", "too many colons"),
        ("/a::b:c:d", "empty section between colons"),
    ] as [(String, String)])
    func rejectsShort(text: String, reason: String) {
        #expect(throws: ComposeValueError("invalid volume \"\(text)\": \(reason) (expected [SOURCE:]TARGET[:MODE])")) {
            try ServiceVolume.parseShort(text)
        }
    }

    @Test("rejects an empty spec")
    func rejectsEmpty() {
        #expect(throws: ComposeValueError("invalid volume \"\" (expected [SOURCE:]TARGET[:MODE])")) {
            try ServiceVolume.parseShort("")
        }
    }

    @Test("encodes with compose's keys and decodes the long syntax")
    func codable() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let volume = try ServiceVolume.parseShort("~/configs:/etc/configs:ro,z")
        #expect(String(decoding: try encoder.encode(volume), as: UTF8.self)
            == #"{"bind":{"selinux":"z"},"read_only":true,"source":"~\/configs","target":"\/etc\/configs","type":"bind"}"#)

        let json = #"""
            [{"type": "tmpfs", "target": "/opt/tmpfs", "tmpfs": {"size": "10000", "mode": 1023}},
             {"type": "image", "source": "alpine", "target": "/img", "image": {"subpath": "etc"}},
             {"type": "volume", "source": "data", "target": "/d", "volume": {"nocopy": true, "subpath": "sub"}}]
            """#
        let decoded = try JSONDecoder().decode([ServiceVolume].self, from: Data(json.utf8))
        #expect(decoded == [
            ServiceVolume(type: .tmpfs, target: "/opt/tmpfs", tmpfs: .init(size: ByteSize(bytes: 10_000), mode: 0o1777)),
            ServiceVolume(type: .image, source: "alpine", target: "/img", image: .init(subpath: "etc")),
            ServiceVolume(type: .volume, source: "data", target: "/d", volume: .init(nocopy: true, subpath: "sub")),
        ])
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(ServiceVolume.self, from: Data(#"{"type": "nfs", "target": "/x"}"#.utf8))
        }
    }
}

extension VolumeTests {
    @Test("validates a long-form entry", arguments: [
        (ServiceVolume(type: .bind, source: "/host", target: "/container", bind: .init(propagation: "rslave", selinux: "Z", recursive: "readonly")), nil),
        (ServiceVolume(type: .volume, target: "/anonymous"), nil),
        (ServiceVolume(type: .tmpfs, target: "/t", tmpfs: .init(size: ByteSize(bytes: 0))), nil),
        (ServiceVolume(type: .volume, source: "v", target: ""), "invalid volume mount: target must not be empty"),
        (ServiceVolume(type: .bind, target: "/app"), "invalid bind mount on /app: source must not be empty"),
        (ServiceVolume(type: .image, source: "", target: "/app"), "invalid image mount on /app: source must not be empty"),
        (ServiceVolume(type: .bind, source: "/h", target: "/c", bind: .init(selinux: "x")), "invalid bind.selinux \"x\" (expected z or Z)"),
        (ServiceVolume(type: .bind, source: "/h", target: "/c", bind: .init(propagation: "up")),
         "invalid bind.propagation \"up\" (expected shared, rshared, slave, rslave, private or rprivate)"),
        (ServiceVolume(type: .bind, source: "/h", target: "/c", bind: .init(recursive: "yes")),
         "invalid bind.recursive \"yes\" (expected enabled, disabled, writable or readonly)"),
        (ServiceVolume(type: .tmpfs, target: "/t", tmpfs: .init(size: ByteSize(bytes: -1))), "invalid tmpfs.size -1 (expected 0 or more bytes)"),
    ] as [(ServiceVolume, String?)])
    func validates(volume: ServiceVolume, message: String?) {
        if let message {
            #expect(throws: ComposeValueError(message)) { try volume.validate() }
        } else {
            #expect(throws: Never.self) { try volume.validate() }
        }
    }
}
