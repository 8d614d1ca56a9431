/// Everything needed to create one container, independent of the runtime that creates it. The
/// reconciler builds it from a compose service (the compose key each field comes from is named in
/// its comment); the engine turns it into an OCI runtime spec, mounts and network attachments.
/// Values are resolved: paths are absolute, environment variables substituted, services named by
/// `service:x` already turned into container ids.
public struct ContainerSpec: Sendable, Hashable, Codable {
    /// `container_name`, else `<project>-<service>-<number>`.
    public var name: String
    /// `labels` plus the compose labels of `ResourceLabels`.
    public var labels: [String: String]
    /// `image`, as written (a reference or an `oci-archive:` path).
    public var image: String
    /// The id `ContainerEngine.ensureImage` returned for `image`.
    public var imageID: String
    /// `entrypoint`; nil keeps the image's.
    public var entrypoint: [String]?
    /// `command`; nil keeps the image's.
    public var command: [String]?
    /// `environment` after `env_file` and interpolation; the image's environment
    /// comes first and these override it.
    public var environment: [String: String]
    /// `working_dir`; nil keeps the image's.
    public var workingDir: String?
    /// `user` (`uid[:gid]` or names); nil keeps the image's.
    public var user: String?
    /// `group_add`.
    public var groupAdd: [String]
    public var hostname: String?
    public var domainname: String?
    /// `tty`, `stdin_open`.
    public var tty: Bool
    public var stdinOpen: Bool
    /// `init`: run a minimal init as PID 1 that reaps and forwards signals.
    public var initProcess: Bool
    /// `volumes` (bind, named, anonymous, tmpfs), `tmpfs`, `secrets` and `configs` as files.
    public var mounts: [Mount]
    /// `volumes_from`, as container ids, with `:ro` kept.
    public var volumesFrom: [VolumesFrom]
    /// The id of the container this one replaces, whose anonymous volumes it takes over (compose
    /// keeps them across a recreate unless `--renew-anon-volumes`).
    public var inheritAnonymousVolumesFrom: String?
    /// `network_mode`, `ipc`, `pid`, `uts`, `userns_mode`, `cgroup`.
    public var namespaces: Namespaces
    /// `networks` with their aliases and fixed addresses (empty with `network_mode` other than bridge).
    public var networks: [NetworkAttachment]
    /// `ports`.
    public var ports: [PortBinding]
    /// `dns`, `dns_search`, `dns_opt`, `extra_hosts`.
    public var dns: DNSSettings
    /// `mem_limit`, `cpus`, `pids_limit`, `shm_size`, `ulimits`, `deploy.resources.limits`.
    public var resources: Resources
    /// `privileged`, `cap_add`, `cap_drop`, `security_opt`, `read_only`, `sysctls`, `devices`.
    public var security: Security
    /// `stop_signal` (default SIGTERM) and `stop_grace_period` in seconds (default 10).
    public var stopSignal: String
    public var stopGracePeriod: Double
    /// `restart` (or `deploy.restart_policy.condition`): `no`, `always`, `on-failure[:N]`, `unless-stopped`.
    public var restartPolicy: String
    /// `deploy.restart_policy`'s `delay`, `max_attempts` and `window` (seconds, count, seconds).
    public var restartDelaySeconds: Double?
    public var restartMaxAttempts: Int?
    public var restartWindowSeconds: Double?
    /// `healthcheck`, nil when the service has none (the image's `HEALTHCHECK` then applies).
    /// `test` `["NONE"]` (or `disable: true`) turns the image's off; an empty `test` keeps the
    /// image's command with the service's timings.
    public var healthcheck: Healthcheck?
    /// `logging`: where the container's stdout and stderr go.
    public var logging = Logging()
    /// The service's compose keys → canonical JSON, for the engine to record and report back in
    /// `ObservedContainer.recordedConfig`, so a later plan can name what changed.
    public var recordedConfig: [String: String]

    public init(name: String, image: String, imageID: String) {
        self.name = name
        labels = [:]
        self.image = image
        self.imageID = imageID
        environment = [:]
        groupAdd = []
        tty = false
        stdinOpen = false
        initProcess = false
        mounts = []
        volumesFrom = []
        namespaces = Namespaces()
        networks = []
        ports = []
        dns = DNSSettings()
        resources = Resources()
        security = Security()
        stopSignal = "SIGTERM"
        stopGracePeriod = 10
        restartPolicy = "no"
        recordedConfig = [:]
    }

    /// One filesystem mount.
    public struct Mount: Sendable, Hashable, Codable {
        public enum Kind: String, Sendable, Hashable, Codable {
            /// A host path (`source`), relative paths already resolved against the project directory.
            case bind
            /// A named volume (`source` is the engine-wide volume name).
            case volume
            /// A volume made for this container (`source` is nil).
            case anonymousVolume
            case tmpfs
            /// A secret or config: a host file (`source`) mounted read-only at `target` with
            /// `uid`/`gid`/`mode`.
            case file
        }

        public var kind: Kind
        public var source: String?
        public var target: String
        public var readOnly: Bool
        /// Short-syntax binds create a missing host directory; long syntax does not (as docker).
        public var createHostPath: Bool
        /// `volume.nocopy`: do not fill a new volume from the image.
        public var noCopy: Bool
        public var subpath: String?
        /// `bind.propagation`, `bind.selinux` (`z`/`Z`).
        public var propagation: String?
        public var selinux: String?
        /// tmpfs size in bytes and mode; file mode and owner for secrets and configs.
        public var size: Int64?
        public var mode: UInt32?
        public var uid: String?
        public var gid: String?
        /// For `.file` mounts of secrets and configs given by `environment` or `content`: the
        /// bytes to write, since there is no host file.
        public var content: String?
        /// For `.file` mounts: `secret NAME` or `config NAME`, for messages.
        public var name: String?
        /// Further mount options as written (a `tmpfs` entry's `noexec`, `uid=1000`, `size=64m`).
        public var options: [String] = []

        public init(kind: Kind, source: String?, target: String, readOnly: Bool = false) {
            self.kind = kind
            self.source = source
            self.target = target
            self.readOnly = readOnly
            createHostPath = false
            noCopy = false
        }
    }

    public struct VolumesFrom: Sendable, Hashable, Codable {
        public var containerID: String
        public var readOnly: Bool

        public init(containerID: String, readOnly: Bool) {
            self.containerID = containerID
            self.readOnly = readOnly
        }
    }

    /// Whether a namespace is the container's own, the host's, or another container's.
    public enum NamespaceMode: Sendable, Hashable, Codable {
        case `private`
        case host
        /// Share the namespace of this container id (`service:x` and `container:x`).
        case container(String)
        /// Network only: a loopback interface and nothing else (`network_mode: none`).
        case none
    }

    public struct Namespaces: Sendable, Hashable, Codable {
        public var network: NamespaceMode = .private
        public var ipc: NamespaceMode = .private
        public var pid: NamespaceMode = .private
        public var uts: NamespaceMode = .private
        /// `userns_mode`, as written (`host`, `keep-id`, …); nil uses the engine's default mapping.
        public var userns: String?
        /// `cgroup`: `host` or `private`.
        public var cgroup: String?
        public init() {}
    }

    public struct NetworkAttachment: Sendable, Hashable, Codable {
        /// The engine-wide network name (`demo_default`).
        public var network: String
        /// The service name, `hostname`, and the network's `aliases`, for the embedded DNS.
        public var aliases: [String]
        public var ipv4Address: String?
        public var ipv6Address: String?
        public var macAddress: String?
        public var interfaceName: String?
        /// `priority` / `gw_priority`: which network gives the default route.
        public var priority: Int

        public init(network: String, aliases: [String]) {
            self.network = network
            self.aliases = aliases
            priority = 0
        }
    }

    public struct PortBinding: Sendable, Hashable, Codable {
        public var hostIP: String?
        /// `published`: a port, a range `8000-8010`, or nil for an ephemeral one.
        public var hostPort: String?
        public var containerPort: Int
        /// `tcp`, `udp` or `sctp`.
        public var proto: String

        public init(hostIP: String?, hostPort: String?, containerPort: Int, proto: String) {
            self.hostIP = hostIP
            self.hostPort = hostPort
            self.containerPort = containerPort
            self.proto = proto
        }
    }

    public struct DNSSettings: Sendable, Hashable, Codable {
        public var servers: [String] = []
        public var search: [String] = []
        public var options: [String] = []
        /// `extra_hosts` as `name=address` entries in file order.
        public var extraHosts: [String] = []
        public init() {}
    }

    public struct Resources: Sendable, Hashable, Codable {
        public var memoryBytes: Int64?
        public var memoryReservationBytes: Int64?
        public var memorySwapBytes: Int64?
        /// CPUs as a fraction (`1.5`), from `cpus` or `deploy.resources.limits.cpus`.
        public var cpus: Double?
        public var cpuShares: Int?
        public var cpuset: String?
        public var pidsLimit: Int?
        public var shmSizeBytes: Int64?
        public var oomScoreAdj: Int?
        /// `ulimits` by name (`nofile`), soft and hard.
        public var ulimits: [String: Ulimit] = [:]
        public init() {}
    }

    public struct Ulimit: Sendable, Hashable, Codable {
        public var soft: Int
        public var hard: Int
        public init(soft: Int, hard: Int) {
            self.soft = soft
            self.hard = hard
        }
    }

    public struct Security: Sendable, Hashable, Codable {
        public var privileged = false
        public var capAdd: [String] = []
        public var capDrop: [String] = []
        /// `security_opt` as written (`no-new-privileges:true`, `seccomp=…`, `apparmor=…`).
        public var securityOpt: [String] = []
        public var readOnlyRootfs = false
        public var sysctls: [String: String] = [:]
        /// `devices` as `source:target:permissions`.
        public var devices: [String] = []
        public init() {}
    }

    /// `logging.driver` and `logging.options`, as docker's log drivers name them.
    public struct Logging: Sendable, Hashable, Codable {
        /// `json-file` (the default), `local`, `none`, `journald`, …; nil means the default.
        public var driver: String?
        /// `max-size`, `max-file`, … as written; options a driver does not know are refused by
        /// the engine, never dropped.
        public var options: [String: String]

        public init(driver: String? = nil, options: [String: String] = [:]) {
            self.driver = driver
            self.options = options
        }
    }

    public struct Healthcheck: Sendable, Hashable, Codable {
        /// `CMD …`, `CMD-SHELL …` as compose normalizes `test`.
        public var test: [String]
        public var intervalSeconds: Double?
        public var timeoutSeconds: Double?
        public var startPeriodSeconds: Double?
        public var startIntervalSeconds: Double?
        public var retries: Int?

        public init(test: [String]) { self.test = test }
    }
}
