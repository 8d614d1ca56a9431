import ComposeSpec
import Foundation
import Testing
import YAML

/// The service keys that used to be carried untyped: each short and long form decodes to its
/// typed model and prints in canonical form; each bad value is rejected where it was written.
@Suite struct TypedKeysTests {
    /// A compose file with one service `a` whose keys (indented four spaces) follow `image: x`,
    /// so the first of them is on line 4.
    static func file(_ keys: String) -> String {
        "services:\n  a:\n    image: x\n" + keys
    }

    static func load(_ keys: String) throws -> ComposeLoader.Loaded {
        try TestProject(["compose.yaml": file(keys)]).load()
    }

    static func service(_ keys: String) throws -> Service {
        try #require(try load(keys).project.services["a"])
    }

    struct Form: CustomTestStringConvertible, Sendable {
        let name: String
        /// Keys of service `a`, as written.
        let yaml: String
        /// Path in the printed service (`config`) and the JSON printed there.
        let key: String
        let printed: String
        var testDescription: String { name }
    }

    static let forms: [Form] = [
        Form(name: "blkio_config with every list",
             yaml: """
                 blkio_config:
                   weight: 300
                   weight_device: [{path: /dev/sda, weight: 400}]
                   device_read_bps: [{path: /dev/sda, rate: 1024k}]
                   device_read_iops: [{path: /dev/sda, rate: 100}]
                   device_write_bps: [{path: /dev/sda, rate: "1024"}]
                   device_write_iops: [{path: /dev/sda, rate: 200}]

             """,
             key: "blkio_config",
             printed: #"{"weight":300,"weight_device":[{"path":"/dev/sda","weight":400}],"device_read_bps":[{"path":"/dev/sda","rate":"1048576"}],"device_read_iops":[{"path":"/dev/sda","rate":"100"}],"device_write_bps":[{"path":"/dev/sda","rate":"1024"}],"device_write_iops":[{"path":"/dev/sda","rate":"200"}]}"#),
        Form(name: "credential_spec",
             yaml: "    credential_spec:\n      config: my-spec\n",
             key: "credential_spec", printed: #"{"config":"my-spec"}"#),
        Form(name: "develop.watch with exec and string-or-list patterns",
             yaml: """
                 develop:
                   watch:
                     - path: ./src
                       action: sync+exec
                       target: /app
                       ignore: node_modules/
                       include: ["*.js", "*.ts"]
                       initial_sync: true
                       exec:
                         command: echo synced
                     - path: package.json
                       action: rebuild

             """,
             key: "develop",
             printed: #"{"watch":[{"path":"${DIR}/src","action":"sync+exec","target":"/app","exec":{"command":["echo","synced"]},"include":["*.js","*.ts"],"ignore":["node_modules/"],"initial_sync":true},{"path":"${DIR}/package.json","action":"rebuild"}]}"#),
        Form(name: "gpus: all is one request for all GPUs", yaml: "    gpus: ALL\n", key: "gpus", printed: #"[{"count":"all"}]"#),
        Form(name: "gpus as device requests",
             yaml: "    gpus:\n      - driver: nvidia\n        count: 2\n      - driver: 3dfx\n        device_ids: [voodoo2]\n        capabilities: [directX]\n",
             key: "gpus",
             printed: #"[{"driver":"nvidia","count":2},{"capabilities":["directX"],"driver":"3dfx","device_ids":["voodoo2"]}]"#),
        Form(name: "post_start hook, command split like a shell, list environment",
             yaml: "    post_start:\n      - command: echo 'hello world'\n        user: root\n        privileged: true\n        working_dir: /\n        environment: [FOO=BAR, BARE]\n",
             key: "post_start",
             printed: #"[{"command":["echo","hello world"],"user":"root","privileged":true,"working_dir":"/","environment":{"BARE":null,"FOO":"BAR"}}]"#),
        Form(name: "pre_stop hook, list command, map environment",
             yaml: "    pre_stop:\n      - command: [\"/bin/sh\", \"-c\", \"stop\"]\n        environment: {FOO: BAR}\n",
             key: "pre_stop",
             printed: #"[{"command":["/bin/sh","-c","stop"],"environment":{"FOO":"BAR"}}]"#),
        Form(name: "pre_start hooks: command only, own image, image only",
             yaml: "    pre_start:\n      - command: ./migrate\n      - image: busybox\n        command: sh -c 'chown 1000 /data'\n        privileged: true\n        per_replica: true\n      - image: migrator:latest\n",
             key: "pre_start",
             printed: #"[{"command":["./migrate"],"image":"x"},{"command":["sh","-c","chown 1000 /data"],"image":"busybox","privileged":true,"per_replica":true},{"image":"migrator:latest"}]"#),
        Form(name: "models in list form", yaml: "    models: [llm]\n", key: "models", printed: #"{"llm":null}"#),
        Form(name: "models in map form",
             yaml: "    models:\n      llm:\n        endpoint_var: URL\n        model_var: NAME\n",
             key: "models", printed: #"{"llm":{"endpoint_var":"URL","model_var":"NAME"}}"#),
        Form(name: "provider options become lists",
             yaml: "    provider:\n      type: foo\n      options:\n        bar: zot\n        numbers: [12, 34]\n        flag: true\n",
             key: "provider",
             printed: #"{"type":"foo","options":{"bar":["zot"],"flag":["true"],"numbers":["12","34"]}}"#),
        Form(name: "cpu_rt_period in microseconds", yaml: "    cpu_rt_period: 1000000\n",
             key: "cpu_rt_period", printed: "1000000"),
        Form(name: "cpu_rt_runtime as a duration", yaml: "    cpu_rt_runtime: 950ms\n",
             key: "cpu_rt_runtime", printed: "950000"),
        Form(name: "deploy.placement",
             yaml: "    deploy:\n      placement:\n        constraints: [node=foo]\n        max_replicas_per_node: 5\n        preferences:\n          - spread: node.labels.az\n",
             key: "deploy.placement",
             printed: #"{"constraints":["node=foo"],"preferences":[{"spread":"node.labels.az"}],"max_replicas_per_node":5}"#),
        Form(name: "deploy devices with count all and options",
             yaml: "    deploy:\n      resources:\n        reservations:\n          devices:\n            - capabilities: [gpu]\n              driver: nvidia\n              count: all\n              options: [virtualization=false]\n",
             key: "deploy.resources.reservations.devices",
             printed: #"[{"capabilities":["gpu"],"driver":"nvidia","count":"all","options":{"virtualization":"false"}}]"#),
        Form(name: "deploy devices with count as a string",
             yaml: "    deploy:\n      resources:\n        reservations:\n          devices:\n            - capabilities: [gpu]\n              count: \"1\"\n",
             key: "deploy.resources.reservations.devices", printed: #"[{"capabilities":["gpu"],"count":1}]"#),
        Form(name: "generic_resources",
             yaml: "    deploy:\n      resources:\n        reservations:\n          generic_resources:\n            - discrete_resource_spec: {kind: gpu, value: 2}\n",
             key: "deploy.resources.reservations.generic_resources",
             printed: #"[{"discrete_resource_spec":{"kind":"gpu","value":2}}]"#),
        Form(name: "build.provenance as options, build.sbom as a boolean",
             yaml: "    build:\n      context: .\n      provenance: mode=max\n      sbom: true\n",
             key: "build", printed: ""),
    ]

    @Test("each form decodes, prints in canonical form and loads back to the same service", arguments: forms)
    func decodesAndPrints(_ form: Form) throws {
        let loaded = try Self.load(form.yaml)
        let service = try #require(loaded.project.services["a"])
        var node: YAMLNode? = try ProjectEncoding.node(of: service)
        for key in form.key.split(separator: ".") { node = node?[String(key)] }
        let printed = try #require(node, "\(form.key) is not printed")
        if form.key == "build" {
            #expect(printed["provenance"]?.scalarText == "mode=max")
            #expect(printed["sbom"]?.scalarText == "true")
        } else {
            // Host paths are absolute after loading; ${DIR} stands for the project directory.
            let json = JSONEmitter.emit(printed, pretty: false)
                .replacingOccurrences(of: loaded.project.workingDirectory.replacingOccurrences(of: "/", with: "\\/"), with: "${DIR}")
                .replacingOccurrences(of: loaded.project.workingDirectory, with: "${DIR}")
            #expect(json == form.printed)
        }
        let problem = ConformanceTests.roundTrip(loaded.project, directory: loaded.project.workingDirectory)
        #expect(problem == nil, "\(problem ?? "")")
    }

    @Test("the models hold the values as typed Swift")
    func typedValues() throws {
        let gpus = try Self.service("    gpus: all\n")
        #expect(gpus.gpus == [DeviceRequest(count: .all)])

        let realtime = try Self.service("    cpu_rt_period: 1s\n    cpu_rt_runtime: \"950000\"\n")
        #expect(realtime.cpuRTPeriod == RealtimeMicroseconds(microseconds: 1_000_000))
        #expect(realtime.cpuRTRuntime == RealtimeMicroseconds(microseconds: 950_000))

        let blkio = try Self.service("    blkio_config:\n      device_read_bps: [{path: /dev/sda, rate: 1m}]\n")
        #expect(blkio.blkioConfig?.deviceReadBps == [.init(path: "/dev/sda", rate: ByteSize(bytes: 1_048_576))])

        let build = try Self.service("    build:\n      context: .\n      provenance: false\n      sbom: generator=x\n")
        #expect(build.build?.provenance == .enabled(false))
        #expect(build.build?.sbom == .options("generator=x"))

        let devices = try Self.service("    deploy:\n      resources:\n        reservations:\n          devices:\n            - capabilities: [gpu]\n              count: -1\n")
        #expect(devices.deploy?.resources?.reservations?.devices?.first?.count == .all)

        let hooks = try Self.service("    post_start:\n      - command: echo hi\n        environment: [KEEP]\n")
        #expect(hooks.postStart?.first?.command == ["echo", "hi"])
        #expect(hooks.postStart?.first?.environment == ["KEEP": String?.none])

        let watch = try Self.service("    develop:\n      watch:\n        - {path: ., action: sync+restart, target: /app}\n")
        #expect(watch.develop?.watch?.first?.action == .syncRestart)

        let models = try Self.service("    models: [a, b]\n")
        #expect(models.models?.keys.sorted() == ["a", "b"])
    }

    @Test("a change inside a typed key changes the config hash; the same file hashes the same", arguments: [
        ("    gpus: all\n", "    gpus: [{count: 1}]\n"),
        ("    post_start:\n      - command: a\n", "    post_start:\n      - command: b\n"),
        ("    blkio_config: {weight: 100}\n", "    blkio_config: {weight: 200}\n"),
        ("    models: [a]\n", "    models: {a: {model_var: M}}\n"),
        ("    cpu_rt_runtime: 1ms\n", "    cpu_rt_runtime: 1001\n"),
    ])
    func configHash(before: String, after: String) throws {
        let first = try ConfigHash.hash(of: try Self.service(before))
        #expect(try ConfigHash.hash(of: try Self.service(before)) == first)
        #expect(try ConfigHash.hash(of: try Self.service(after)) != first)
    }

    struct Rejection: CustomTestStringConvertible, Sendable {
        let name: String
        let yaml: String
        let prefix: String
        let mentions: String
        var testDescription: String { name }
    }

    static let rejections: [Rejection] = [
        Rejection(name: "blkio weight out of range", yaml: "    blkio_config:\n      weight: 5000\n",
                  prefix: "compose.yaml:5:15: services.a.blkio_config.weight", mentions: "10 to 1000"),
        Rejection(name: "blkio rate that is no size", yaml: "    blkio_config:\n      device_read_bps:\n        - path: /dev/sda\n          rate: fast\n",
                  prefix: "compose.yaml:7:17: services.a.blkio_config.device_read_bps[0].rate", mentions: "fast"),
        Rejection(name: "blkio unknown key", yaml: "    blkio_config:\n      wieght: 300\n",
                  prefix: "compose.yaml:5:7: services.a.blkio_config", mentions: "did you mean \"weight\""),
        Rejection(name: "credential_spec unknown key", yaml: "    credential_spec:\n      files: x\n",
                  prefix: "compose.yaml:5:7: services.a.credential_spec", mentions: "unknown key \"files\""),
        Rejection(name: "watch action outside the enum", yaml: "    develop:\n      watch:\n        - path: .\n          action: copy\n",
                  prefix: "compose.yaml:7:19: services.a.develop.watch[0].action", mentions: "copy"),
        Rejection(name: "watch without a path", yaml: "    develop:\n      watch:\n        - action: rebuild\n",
                  prefix: "compose.yaml:6:11: services.a.develop.watch[0]", mentions: "path"),
        Rejection(name: "sync without a target", yaml: "    develop:\n      watch:\n        - path: .\n          action: sync\n",
                  prefix: "compose.yaml:6:11: services.a.develop.watch[0]", mentions: "target"),
        Rejection(name: "gpus other than all", yaml: "    gpus: some\n",
                  prefix: "compose.yaml:4:11: services.a.gpus", mentions: "\"all\""),
        Rejection(name: "gpus as a mapping", yaml: "    gpus: {driver: nvidia}\n",
                  prefix: "compose.yaml:4:11: services.a.gpus", mentions: "must be"),
        Rejection(name: "device count that is no number", yaml: "    gpus:\n      - count: some_string\n",
                  prefix: "compose.yaml:5:16: services.a.gpus[0].count", mentions: "some_string"),
        Rejection(name: "device count with device_ids", yaml: "    gpus:\n      - count: 2\n        device_ids: [a]\n",
                  prefix: "compose.yaml:5:9: services.a.gpus[0]", mentions: "cannot be used together"),
        Rejection(name: "deploy device without capabilities",
                  yaml: "    deploy:\n      resources:\n        reservations:\n          devices:\n            - driver: nvidia\n",
                  prefix: "compose.yaml:8:15: services.a.deploy.resources.reservations.devices[0]", mentions: "capabilities"),
        Rejection(name: "hook without a command", yaml: "    post_start:\n      - user: root\n",
                  prefix: "compose.yaml:5:9: services.a.post_start[0]", mentions: "command"),
        Rejection(name: "hook with an unknown key", yaml: "    pre_stop:\n      - command: x\n        image: busybox\n",
                  prefix: "compose.yaml:6:9: services.a.pre_stop[0]", mentions: "unknown key \"image\""),
        Rejection(name: "pre_start hook with an unknown key", yaml: "    pre_start:\n      - image: busybox\n        per_replicas: true\n",
                  prefix: "compose.yaml:6:9: services.a.pre_start[0]", mentions: "did you mean \"per_replica\""),
        Rejection(name: "hooks not a list", yaml: "    post_start:\n      command: x\n",
                  prefix: "compose.yaml:5:7: services.a.post_start", mentions: "must be a list"),
        Rejection(name: "models as a string", yaml: "    models: llm\n",
                  prefix: "compose.yaml:4:13: services.a.models", mentions: "list or a mapping"),
        Rejection(name: "model with an unknown key", yaml: "    models:\n      llm: {endpoint: X}\n",
                  prefix: "compose.yaml:5:13: services.a.models.llm", mentions: "endpoint"),
        Rejection(name: "provider without a type", yaml: "    provider:\n      options: {a: b}\n",
                  prefix: "compose.yaml:5:7: services.a.provider", mentions: "type"),
        Rejection(name: "provider option that is a mapping", yaml: "    provider:\n      type: t\n      options:\n        a: {b: c}\n",
                  prefix: "compose.yaml:7:12: services.a.provider.options.a", mentions: "must be"),
        Rejection(name: "cpu_rt_period that is no duration", yaml: "    cpu_rt_period: soon\n",
                  prefix: "compose.yaml:4:20: services.a.cpu_rt_period", mentions: "soon"),
        Rejection(name: "cpu_rt_runtime finer than a microsecond", yaml: "    cpu_rt_runtime: 1500ns\n",
                  prefix: "compose.yaml:4:21: services.a.cpu_rt_runtime", mentions: "microseconds"),
        Rejection(name: "placement preference with an unknown key",
                  yaml: "    deploy:\n      placement:\n        preferences:\n          - spred: az\n",
                  prefix: "compose.yaml:7:13: services.a.deploy.placement.preferences[0]", mentions: "did you mean \"spread\""),
        Rejection(name: "max_replicas_per_node that is no number", yaml: "    deploy:\n      placement:\n        max_replicas_per_node: many\n",
                  prefix: "compose.yaml:6:32: services.a.deploy.placement.max_replicas_per_node", mentions: "integer"),
        Rejection(name: "negative max_replicas_per_node", yaml: "    deploy:\n      placement:\n        max_replicas_per_node: -1\n",
                  prefix: "compose.yaml:6:32: services.a.deploy.placement.max_replicas_per_node", mentions: "negative"),
        Rejection(name: "generic resource value that is no number",
                  yaml: "    deploy:\n      resources:\n        reservations:\n          generic_resources:\n            - discrete_resource_spec: {kind: gpu, value: two}\n",
                  prefix: "compose.yaml:8:58: services.a.deploy.resources.reservations.generic_resources[0].discrete_resource_spec.value", mentions: "integer"),
        Rejection(name: "sbom as a list", yaml: "    build:\n      context: .\n      sbom: [a]\n",
                  prefix: "compose.yaml:6:13: services.a.build.sbom", mentions: "boolean or a string"),
    ]

    @Test("bad values are rejected with file:line:column and key path", arguments: rejections)
    func rejected(_ rejection: Rejection) throws {
        let error = try #require(try TestProject(["compose.yaml": Self.file(rejection.yaml)]).error(),
                                 "loaded, but must be rejected")
        #expect(error.description.hasPrefix(rejection.prefix), "\(error.description)")
        #expect(error.description.contains(rejection.mentions), "\(error.description)")
    }
}
