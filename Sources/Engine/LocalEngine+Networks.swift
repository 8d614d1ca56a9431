#if canImport(Glibc)
import Glibc
#endif
import EngineAPI
import Foundation
import Networking
import OCISpec
import Runtime
import StateStore
import SystemSupport

/// What a container's launch needs of its networking, written beside its `config.json` at create
/// time: the container is launched again from it on every start, and the ContainerSpec is gone.
struct NetworkPlan: Sendable, Hashable, Codable {
    var name: String
    var mode: ContainerSpec.NamespaceMode
    var attachments: [ContainerSpec.NetworkAttachment]
    var files: NetworkFiles
    /// The lease owner: the compose replica (`project/service/number`), so a recreated container
    /// gets its predecessor's address back.
    var owner: String
}

extension LocalEngine {
    // MARK: networks

    /// A bridge per network, named `berth-` and nine hex digits of a hash of the network name
    /// (interface names have 15 characters), with the gateway's address on it: in the host's
    /// namespace rootful, in the per-user one rootless. The record is saved before the bridge is
    /// made, so a crash between the two leaves something `removeNetwork` (or the next
    /// `createNetwork`, or the next launch of a container on it) finishes.
    public func createNetwork(_ spec: NetworkSpec) async throws(EngineError) {
        let object = "network \(spec.name)"
        if spec.driver.map({ !["bridge", "default"].contains($0) }) ?? false {
            throw EngineError(.unsupported, object: object, "network driver \(spec.driver ?? "") is not supported; use bridge")
        }
        let ipv6Subnets = spec.subnets.filter { $0.subnet.contains(":") }
        if ipv6Subnets.count > 1 {
            throw EngineError(.unsupported, object: object, "one IPv6 ipam.config entry is supported, not \(ipv6Subnets.count)")
        }
        if !ipv6Subnets.isEmpty && !spec.enableIPv6 {
            throw EngineError(.invalidState, object: object, "ipam.config has an IPv6 subnet: set enable_ipv6: true")
        }
        if spec.enableIPv6 && !Files.exists("/proc/sys/net/ipv6") {
            throw EngineError(.unsupported, object: object, "enable_ipv6: this kernel has IPv6 disabled (no /proc/sys/net/ipv6)")
        }
        let existing = try stateCall(object) { () throws(StateError) in try store.network(name: spec.name) }
        var record = existing ?? NetworkRecord(name: spec.name, project: spec.labels[ResourceLabels.project] ?? "",
                                               isInternal: spec.isInternal, labels: spec.labels)
        let unsaved = existing?.bridge == nil || existing?.subnet == nil
        record.labels = spec.labels
        record.isInternal = spec.isInternal
        let base = record
        try await Blocking.run { () throws(EngineError) in
            // Two networks made at once (in parallel, or by two projects' commands) would see
            // the same free subnet: choosing one and making its bridge is serialized across
            // processes. Rootful bridges share the host's namespace whatever the data and runtime
            // directories (side-by-side installs, tests), so that lock is host-wide; rootless
            // ones live in the user's own namespace.
            let lockDirectory = self.rootless ? self.locations.runtime + "/locks" : "/run/lock/berth"
            let lock = try self.stateCall(object) { () throws(StateError) in
                try ProjectLock.acquire(project: ".networks", directory: lockDirectory)
            }
            defer { lock.release() }
            var record = base
            let host = try self.hostNetlink(object)
            if unsaved {
                let (subnet, gateway) = try self.chooseSubnet(spec, host: host, object: object)
                record.subnet = subnet.description
                record.gateway = gateway.description
                record.ipRange = spec.subnets.first { !$0.subnet.contains(":") }?.ipRange
                record.morePools = try self.morePools(spec, first: subnet, object: object)
                record.bridge = Self.bridgeName(spec.name)
            }
            if spec.enableIPv6 && record.subnet6 == nil {
                let (subnet, gateway) = try self.chooseSubnet6(spec, object: object)
                record.subnet6 = subnet.description
                record.gateway6 = gateway.description
            }
            let saved = record
            try self.stateCall(object) { () throws(StateError) in try self.store.save(saved) }
            try self.makeBridge(saved, host: host, object: object, rules: true)
        }
    }

    public func removeNetwork(name: String) async throws(EngineError) {
        let object = "network \(name)"
        // Refreshed first: a container that exited since the last command holds no address.
        let users = try allContainers().map { (record) throws(EngineError) in try refresh(record) }
            .filter { $0.networks.contains { $0.network == name } }
        if let user = users.first {
            throw EngineError(.conflict, object: object, "the network is used by container \(user.name): stop or remove it first")
        }
        // Rootless, a bridge lives only as long as the per-user namespace: none running, none left.
        let holder = rootless ? NamespaceHolder.existing(directory: holderDirectory) : nil
        if let bridge = try stateCall(object, { () throws(StateError) in try store.network(name: name) })?.bridge, !rootless || holder != nil {
            try await Blocking.run { () throws(EngineError) in
                let host = try self.network(object) { () throws(NetworkingError) -> Netlink in
                    if let holder { return try holder.netlink() }
                    return try Netlink()
                }
                try self.network(object) { () throws(NetworkingError) in
                    do throws(NetworkingError) { try host.deleteLink(bridge) } catch where error.errno == ENODEV {}
                }
                try NetworkFirewall.remove(bridge: bridge, holder: holder?.pid, object: object)
            }
        }
        try stateCall(object) { () throws(StateError) in
            try store.removeLeases(network: name)
            try store.removeNetwork(name: name)
        }
        // The per-user namespace lives while a network needs it; containers that joined its user
        // namespace keep that alive by themselves.
        if let holder, try stateCall(object, { () throws(StateError) in try store.allNetworks() }).allSatisfy({ $0.bridge == nil }) {
            try network(object) { () throws(NetworkingError) in try holder.stop() }
        }
    }

    /// `berth-` and nine hex digits of FNV-1a of the name: stable, so a bridge left by a crash
    /// is found again, and short enough for IFNAMSIZ.
    static func bridgeName(_ network: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in network.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let hex = String(hash, radix: 16)
        return "berth-" + String((String(repeating: "0", count: 16 - hex.count) + hex).prefix(9))
    }

    /// The IPv4 subnets of every network Berth made but `name`.
    private func otherSubnets(than name: String, object: String) throws(EngineError) -> [IPv4Subnet] {
        try stateCall(object) { () throws(StateError) in try store.allNetworks() }
            .filter { $0.name != name }
            .flatMap { record in ([record.subnet].compactMap { $0 } + record.morePools.map(\.subnet)).compactMap { try? IPv4Subnet(parsing: $0) } }
    }

    /// The compose file's subnet and gateway, or the first free /24 of the pool: free of the
    /// host's routes and addresses and of every other network Berth made.
    private func chooseSubnet(_ spec: NetworkSpec, host: Netlink, object: String) throws(EngineError) -> (IPv4Subnet, IPv4Address) {
        let others = try otherSubnets(than: spec.name, object: object)
        return try network(object) { () throws(NetworkingError) -> (IPv4Subnet, IPv4Address) in
            let allocator = IPAllocator()
            if let wanted = spec.subnets.first(where: { !$0.subnet.contains(":") }) {
                let subnet = try IPv4Subnet(parsing: wanted.subnet)
                if let clash = others.first(where: { $0.overlaps(subnet) }) {
                    throw NetworkingError(.conflict, object: "subnet \(subnet)", "overlaps subnet \(clash) of another network: choose another")
                }
                let gateway = try wanted.gateway.map { (text) throws(NetworkingError) -> IPv4Address in
                    guard let address = IPv4Address(text) else {
                        throw NetworkingError(.invalidAddress, object: "gateway \(text)", "expected an IPv4 address")
                    }
                    return address
                }
                return (subnet, try allocator.gateway(gateway, in: subnet))
            }
            var inUse = others
            inUse += try host.routes().filter { !$0.isDefault }.compactMap(\.ipv4Subnet)
            inUse += try host.addresses().compactMap(\.ipv4Subnet)
            let subnet = try allocator.subnet(avoiding: inUse)
            return (subnet, try allocator.gateway(nil, in: subnet))
        }
    }

    /// The IPv4 `ipam.config` entries after the first, each with its gateway (the first host
    /// address unless given): none may overlap another of the network's or another network's.
    private func morePools(_ spec: NetworkSpec, first: IPv4Subnet, object: String) throws(EngineError) -> [NetworkPool] {
        let entries = spec.subnets.filter { !$0.subnet.contains(":") }.dropFirst()
        guard !entries.isEmpty else { return [] }
        var seen = [first]
        let others = try otherSubnets(than: spec.name, object: object)
        return try network(object) { () throws(NetworkingError) -> [NetworkPool] in
            let allocator = IPAllocator()
            var pools: [NetworkPool] = []
            for entry in entries {
                let subnet = try IPv4Subnet(parsing: entry.subnet)
                if let clash = seen.first(where: { $0.overlaps(subnet) }) {
                    throw NetworkingError(.conflict, object: "subnet \(subnet)", "overlaps subnet \(clash) of the same network: give each ipam.config entry its own")
                }
                if let clash = others.first(where: { $0.overlaps(subnet) }) {
                    throw NetworkingError(.conflict, object: "subnet \(subnet)", "overlaps subnet \(clash) of another network: choose another")
                }
                let gateway = try entry.gateway.map { (text) throws(NetworkingError) -> IPv4Address in
                    guard let address = IPv4Address(text) else {
                        throw NetworkingError(.invalidAddress, object: "gateway \(text)", "expected an IPv4 address")
                    }
                    return address
                }
                if let range = try entry.ipRange.map({ (text) throws(NetworkingError) in try IPv4Subnet(parsing: text) }), !subnet.contains(range) {
                    throw NetworkingError(.invalidAddress, object: "ip_range \(range)", "not inside subnet \(subnet)")
                }
                seen.append(subnet)
                pools.append(NetworkPool(subnet: subnet.description, gateway: try allocator.gateway(gateway, in: subnet).description,
                                         ipRange: entry.ipRange))
            }
            return pools
        }
    }

    /// Every IPv4 pool of `record`, the first (`subnet`, `gateway`, `ipRange`) first.
    func addressPools(_ record: NetworkRecord, object: String) throws(EngineError) -> [IPAllocator.Pool] {
        guard let subnet = record.subnet, let gateway = record.gateway else { return [] }
        let entries = [NetworkPool(subnet: subnet, gateway: gateway, ipRange: record.ipRange)] + record.morePools
        return try network(object) { () throws(NetworkingError) -> [IPAllocator.Pool] in
            try entries.map { (entry) throws(NetworkingError) -> IPAllocator.Pool in
                guard let gateway = IPv4Address(entry.gateway) else {
                    throw NetworkingError(.invalidAddress, object: "gateway \(entry.gateway)", "expected an IPv4 address")
                }
                return IPAllocator.Pool(subnet: try IPv4Subnet(parsing: entry.subnet), gateway: gateway,
                                        range: try entry.ipRange.map { (text) throws(NetworkingError) in try IPv4Subnet(parsing: text) })
            }
        }
    }

    /// The compose file's IPv6 subnet and gateway, or a unique local /64 derived from the
    /// network's name (stable across runs), moved on while it overlaps another network's.
    private func chooseSubnet6(_ spec: NetworkSpec, object: String) throws(EngineError) -> (IPv6Subnet, IPv6Address) {
        let others = try stateCall(object) { () throws(StateError) in try store.allNetworks() }
            .filter { $0.name != spec.name }
            .compactMap { record in record.subnet6.flatMap { try? IPv6Subnet(parsing: $0) } }
        return try network(object) { () throws(NetworkingError) -> (IPv6Subnet, IPv6Address) in
            if let wanted = spec.subnets.first(where: { $0.subnet.contains(":") }) {
                let subnet = try IPv6Subnet(parsing: wanted.subnet)
                if let clash = others.first(where: { $0.overlaps(subnet) }) {
                    throw NetworkingError(.conflict, object: "subnet \(subnet)", "overlaps subnet \(clash) of another network: choose another")
                }
                guard subnet.prefixLength <= 126 else {
                    throw NetworkingError(.invalidAddress, object: "subnet \(subnet)", "too small: use /64")
                }
                if let text = wanted.gateway {
                    guard let gateway = IPv6Address(text), subnet.contains(gateway) else {
                        throw NetworkingError(.invalidAddress, object: "gateway \(text)", "not an address of subnet \(subnet)")
                    }
                    return (subnet, gateway)
                }
                return (subnet, subnet.address(suffix: 1))
            }
            var seed = spec.name
            var subnet = IPv6Subnet.uniqueLocal(seed: seed)
            while others.contains(where: { $0.overlaps(subnet) }) {
                seed += "'"
                subnet = IPv6Subnet.uniqueLocal(seed: seed)
            }
            return (subnet, subnet.address(suffix: 1))
        }
    }

    /// Makes the bridge of `record` with its gateway address, up, and its packet filter rules
    /// when the bridge is new or `rules` says so; what a crash left is reused.
    func makeBridge(_ record: NetworkRecord, host: Netlink, object: String, rules: Bool = false) throws(EngineError) {
        guard let bridge = record.bridge, let subnetText = record.subnet, let gatewayText = record.gateway else { return }
        let pools = try addressPools(record, object: object).dropFirst()
        let created = try network(object) { () throws(NetworkingError) -> Bool in
            var created = false
            let subnet = try IPv4Subnet(parsing: subnetText)
            guard let gateway = IPv4Address(gatewayText) else {
                throw NetworkingError(.invalidAddress, object: "gateway \(gatewayText)", "expected an IPv4 address")
            }
            if let link = try host.link(named: bridge) {
                guard link.kind == "bridge" else {
                    throw NetworkingError(.conflict, object: bridge, "a \(link.kind ?? "link") of this name exists: delete it")
                }
            } else {
                try host.createBridge(bridge)
                created = true
            }
            for (gateway, subnet) in [(gateway, subnet)] + pools.map({ ($0.gateway, $0.subnet) }) {
                do throws(NetworkingError) {
                    try host.addAddress(bridge, family: AF_INET_VALUE, address: gateway.bytes, prefixLength: subnet.prefixLength)
                } catch where error.errno == EEXIST {}
            }
            if let subnet6Text = record.subnet6, let gateway6 = record.gateway6.flatMap(IPv6Address.init) {
                let subnet6 = try IPv6Subnet(parsing: subnet6Text)
                do throws(NetworkingError) {
                    try host.addAddress(bridge, family: AF_INET6_VALUE, address: gateway6.bytes, prefixLength: subnet6.prefixLength)
                } catch where error.errno == EEXIST {}
            }
            try host.setUp(bridge)
            return created
        }
        if !record.isInternal {
            try enableForwarding(ipv6: record.subnet6 != nil, object: object)
        }
        if created || rules {
            // Rootless, the bridges are in the user's own namespace: the rules go there, and
            // matter only when it forwards (it has a way out).
            let holder = rootless ? try network(object) { () throws(NetworkingError) in try runningHolder().pid } : nil
            // nft takes a set where one subnet goes: `{ 10.1.0.0/24, 10.2.0.0/24 }`.
            let subnets = pools.isEmpty ? subnetText : "{ " + ([subnetText] + pools.map(\.subnet.description)).joined(separator: ", ") + " }"
            try NetworkFirewall.apply(bridge: bridge, subnet: subnets, subnet6: record.subnet6, isInternal: record.isInternal,
                                      holder: holder, object: object)
        }
    }

    // MARK: containers

    /// The files and the launch plan of a new container: `/etc/hosts`, `/etc/hostname` and
    /// `/etc/resolv.conf` under its layer directory, bind-mounted over the image's (unless the
    /// service mounts its own there), and `network.json` for every later launch.
    func prepareNetwork(_ spec: ContainerSpec, id: String, oci: inout RuntimeSpec) throws(EngineError) {
        let object = "container \(spec.name)"
        let layer = locations.layer(id)
        let hostResolv = (try? Files.read("/etc/resolv.conf", stage: "resolv.conf")) ?? ""
        let hostname = spec.namespaces.network == .host && spec.hostname == nil
            ? ((try? Files.read("/etc/hostname", stage: "hostname"))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "localhost")
            : (spec.hostname ?? String(id.prefix(12)))
        let files = NetworkFiles(hostname: hostname, domainname: spec.domainname, dns: spec.dns)
        let owner = [ResourceLabels.project, ResourceLabels.service, ResourceLabels.containerNumber]
            .compactMap { spec.labels[$0] }.joined(separator: "/")
        let plan = NetworkPlan(name: spec.name, mode: spec.namespaces.network, attachments: spec.networks,
                               files: files, owner: owner.isEmpty ? spec.name : owner)
        // Only containers on networks need the per-user namespace (and start it): the others
        // keep a user namespace of their own, so nothing outlives them.
        if rootless && spec.namespaces.network == .private && !spec.networks.isEmpty {
            try joinRootlessNamespace(&oci, object: object)
        }
        if rootless, case .container(let other) = spec.namespaces.network {
            // Entering another container's network namespace takes CAP_SYS_ADMIN over it and in
            // one's own user namespace: rootless, only by joining the user namespace that owns
            // it (the other container's, or the per-user network namespace's it joined).
            guard let pid = try runtimeState(other, object: object)?.pid else {
                throw EngineError(.invalidState, object: object, "container \(other) whose network it joins is not running: start it first")
            }
            joinUserNamespace(&oci, path: "/proc/\(pid)/ns/user")
        }

        var directory = layer
        var defaultServers: [String] = []
        var hostsText = files.hosts(addresses: [])
        switch spec.namespaces.network {
        case .container(let other):
            // The other container's files, as its network is this one's (the id becomes a path).
            guard Self.isEngineID(other) else { break }
            directory = locations.layer(other)
        case .host:
            defaultServers = NetworkFiles.nameservers(hostResolv)
            hostsText = files.hosts(addresses: [], hostHosts: (try? Files.read("/etc/hosts", stage: "hosts")) ?? "")
        case .none:
            break
        case .private:
            // The network's DNS server listens on the gateway of the container's first network.
            if let first = plan.attachments.first,
               let gateway = try stateCall(object, { () throws(StateError) in try store.network(name: first.network) })?.gateway {
                defaultServers = [gateway]
            }
        }
        do {
            if directory == layer {
                try Files.writeAtomically(layer + "/hosts", Array(hostsText.utf8), mode: 0o644, stage: "hosts")
                try Files.writeAtomically(layer + "/hostname", Array(files.hostnameFile.utf8), mode: 0o644, stage: "hostname")
                try Files.writeAtomically(layer + "/resolv.conf", Array(files.resolvConf(defaultServers: defaultServers, host: hostResolv).utf8),
                                          mode: 0o644, stage: "resolv.conf")
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try Files.writeAtomically(layer + "/network.json", Array(try encoder.encode(plan)), mode: 0o600, stage: "network")
        } catch let error as SystemError {
            throw EngineError(.failed, object: object, error.description)
        } catch {
            throw EngineError(.failed, object: object, "\(error)")
        }
        let taken = Set((oci.mounts ?? []).map(\.destination))
        let access = spec.security.readOnlyRootfs ? "ro" : "rw"
        for file in ["hosts", "hostname", "resolv.conf"] where !taken.contains("/etc/" + file) && Files.exists(directory + "/" + file) {
            oci.mounts = (oci.mounts ?? []) + [RuntimeSpec.Mount(destination: "/etc/" + file, type: "bind", source: directory + "/" + file,
                                                                 options: ["rbind", "rprivate", access])]
        }
    }

    /// Wires a launched container (waiting before its entrypoint) into its networks: `lo` up,
    /// then per attachment a veth pair whose container end is made directly inside the
    /// container's namespace (`eth0`, `eth1`, … or `interface_name`), the host end on the
    /// network's bridge, an address from the lease, and the default route via the gateway of
    /// the non-internal network of highest `priority`. Rootful the sockets are opened by
    /// entering the namespaces; rootless the per-user namespace's holder opens them.
    func connectNetworks(_ id: String, pid: Int32, object: String) throws(EngineError) -> [AttachmentRecord] {
        guard let bytes = try? Files.readBytes(locations.layer(id) + "/network.json", stage: "network"),
              let plan = try? JSONDecoder().decode(NetworkPlan.self, from: Data(bytes))
        else { return [] }
        switch plan.mode {
        case .host, .container: return []
        case .none, .private: break
        }
        // Rootless, a container off every network has a user namespace of its own, and its
        // network namespace stays out of reach (lo down) as before issue 5.
        if rootless && (plan.mode != .private || plan.attachments.isEmpty) { return [] }
        let namespace = try network(object) { () throws(NetworkingError) in try NetworkNamespace.of(pid: pid) }
        let inside = try network(object) { () throws(NetworkingError) in
            rootless ? try runningHolder().netlink(inNamespaceOf: pid) : try namespace.netlink()
        }
        try network(object) { () throws(NetworkingError) in try inside.setUp("lo") }
        guard plan.mode == .private, !plan.attachments.isEmpty else { return [] }

        let host = try hostNetlink(object)
        // Rootless without slirp4netns there is no way out: no default route, so a connection
        // out fails at once ("network unreachable") instead of timing out.
        var canRouteOut = true
        if rootless { canRouteOut = try network(object) { () throws(NetworkingError) in try runningHolder().hasOutbound() } }
        var attachments: [AttachmentRecord] = []
        var defaultRoute: (priority: Int, gateway: IPv4Address, gateway6: IPv6Address?)?
        do throws(EngineError) {
            for (index, wanted) in plan.attachments.enumerated() {
                let networkObject = "network \(wanted.network)"
                guard var record = try stateCall(networkObject, { () throws(StateError) in try store.network(name: wanted.network) }) else {
                    throw EngineError(.notFound, object: networkObject,
                                      "no such network: an external network must be created first (by the project that defines it)")
                }
                if record.bridge == nil {
                    // Recorded by a Berth that made no bridges yet: chosen and made now.
                    let spec = NetworkSpec(name: record.name, labels: record.labels)
                    let (subnet, gateway) = try chooseSubnet(spec, host: host, object: networkObject)
                    record.subnet = subnet.description
                    record.gateway = gateway.description
                    record.bridge = Self.bridgeName(record.name)
                    let saved = record
                    try stateCall(networkObject) { () throws(StateError) in try store.save(saved) }
                }
                // After a reboot the record outlives the bridge.
                try makeBridge(record, host: host, object: networkObject)
                let pools = try addressPools(record, object: networkObject)
                guard let bridge = record.bridge, !pools.isEmpty else { continue }
                let (poolIndex, address) = try lease(network: record.name, pools: pools, wanted: wanted,
                                                     owner: plan.owner, container: id, object: object)
                let (subnet, gateway) = (pools[poolIndex].subnet, pools[poolIndex].gateway)
                // The network's other subnets are on the same bridge: reached directly, not
                // through a gateway (an internal network has none, and the DNS server is at the
                // first pool's gateway).
                let onLink = pools.indices.filter { $0 != poolIndex }.map { pools[$0].subnet }
                // IPv6: `ipv6_address`, else the IPv4 address in the low bits of the subnet, so
                // it is as stable as the IPv4 lease without a lease of its own.
                let address6 = try record.subnet6.map { (text) throws(EngineError) -> (subnet: IPv6Subnet, address: IPv6Address) in
                    let subnet6 = try network(networkObject) { () throws(NetworkingError) in try IPv6Subnet(parsing: text) }
                    if let fixed = wanted.ipv6Address {
                        guard let address = IPv6Address(fixed), subnet6.contains(address) else {
                            throw EngineError(.invalidState, object: object, "ipv6_address \(fixed) is not an address of \(subnet6)")
                        }
                        return (subnet6, address)
                    }
                    return (subnet6, subnet6.address(suffix: UInt64(address.value)))
                }
                let interface = wanted.interfaceName ?? "eth\(index)"
                let hostEnd = "vb\(id.prefix(10))\(index)"
                let mac = try wanted.macAddress.map { (text) throws(EngineError) -> [UInt8] in
                    let parts = text.split(separator: ":").compactMap { UInt8($0, radix: 16) }
                    guard parts.count == 6 else { throw EngineError(.invalidState, object: object, "mac_address \(text) is not six hex bytes") }
                    return parts
                } ?? ([0x02, 0x42] + address.bytes)
                try network(object) { () throws(NetworkingError) in
                    do throws(NetworkingError) {
                        try host.createVeth(hostEnd, peer: interface, peerNamespace: namespace.descriptor, peerMAC: mac)
                    } catch where error.errno == EEXIST {
                        // A host end left by a launch that was killed: its peer is in a dead
                        // namespace or none.
                        try host.deleteLink(hostEnd)
                        try host.createVeth(hostEnd, peer: interface, peerNamespace: namespace.descriptor, peerMAC: mac)
                    }
                    try host.setMaster(hostEnd, master: bridge)
                    try host.setUp(hostEnd)
                    try inside.addAddress(interface, family: AF_INET_VALUE, address: address.bytes, prefixLength: subnet.prefixLength)
                    if let address6 {
                        try inside.addAddress(interface, family: AF_INET6_VALUE, address: address6.address.bytes,
                                              prefixLength: address6.subnet.prefixLength)
                    }
                    try inside.setUp(interface)
                    for other in onLink {
                        try inside.addRoute(family: AF_INET_VALUE, destination: other.network.bytes, prefixLength: other.prefixLength,
                                            gateway: nil, link: interface)
                    }
                }
                if !record.isInternal, canRouteOut, defaultRoute.map({ wanted.priority > $0.priority }) ?? true {
                    defaultRoute = (wanted.priority, gateway, record.gateway6.flatMap(IPv6Address.init))
                }
                attachments.append(AttachmentRecord(
                    network: record.name, interface: interface, hostInterface: hostEnd, ipv4Address: address.description,
                    prefixLength: subnet.prefixLength, gateway: gateway.description,
                    macAddress: mac.map { String(format: "%02x", $0) }.joined(separator: ":"), aliases: wanted.aliases,
                    ipv6Address: address6?.address.description))
            }
            if let defaultRoute {
                try network(object) { () throws(NetworkingError) in
                    try inside.addRoute(family: AF_INET_VALUE, gateway: defaultRoute.gateway.bytes)
                    if let gateway6 = defaultRoute.gateway6 { try inside.addRoute(family: AF_INET6_VALUE, gateway: gateway6.bytes) }
                }
            }
            try rewriteHosts(id, plan: plan, addresses: attachments.map(\.ipv4Address) + attachments.compactMap(\.ipv6Address), object: object)
        } catch {
            try? releaseAddresses(of: id)
            throw error
        }
        return attachments
    }

    /// Gives up the addresses `id` held (its leases stay for the next container of its owner).
    func releaseAddresses(of id: String) throws(EngineError) {
        try stateCall("container \(id)") { () throws(StateError) in try store.releaseLeases(container: id) }
    }

    /// The address for one attachment and the index of its pool, leased in one transaction.
    private func lease(network name: String, pools: [IPAllocator.Pool],
                       wanted: ContainerSpec.NetworkAttachment, owner: String, container id: String,
                       object: String) throws(EngineError) -> (pool: Int, address: IPv4Address) {
        let fixed = try wanted.ipv4Address.map { (text) throws(EngineError) -> IPv4Address in
            guard let address = IPv4Address(text) else {
                throw EngineError(.invalidState, object: object, "ipv4_address \(text) on network \(name) is not an IPv4 address")
            }
            return address
        }
        // Holders found dead now stay dead; one that appears between this and the transaction
        // (a parallel launch) is counted as live, so two launches never share an address.
        let holders = Set(try stateCall(object) { () throws(StateError) in try store.leases(network: name) }.compactMap(\.container))
        var dead: Set<String> = []
        for holder in holders where try !isRunning(holder) { dead.insert(holder) }
        var failure: NetworkingError?
        let chosen = try stateCall(object) { () throws(StateError) -> String in
            try store.acquireLease(network: name, owner: owner, container: id) { leases in
                let held = leases.filter { lease in lease.container.map { $0 != id && !dead.contains($0) } ?? false }
                let taken = Set(held.compactMap { IPv4Address($0.address) })
                let reserved = Set(leases.filter { $0.owner != owner }.compactMap { IPv4Address($0.address) })
                let preferred = leases.first { $0.owner == owner }.flatMap { IPv4Address($0.address) }
                do throws(NetworkingError) {
                    return try IPAllocator().address(in: pools, fixed: fixed, preferred: preferred,
                                                     taken: taken, reserved: reserved).address.description
                } catch {
                    failure = error
                    throw error
                }
            }
        }
        if let failure { throw EngineError(failure.code == .conflict ? .conflict : .invalidState, object: object, "network \(name): \(failure)") }
        guard let address = IPv4Address(chosen), let pool = pools.firstIndex(where: { $0.subnet.contains(address) }) else {
            throw EngineError(.failed, object: object, "lease \(chosen) is not an address of the network's subnets")
        }
        return (pool, address)
    }

    /// Rewrites `/etc/hosts` in place (the bind mount holds the inode, so no rename) with the
    /// container's addresses, before its entrypoint runs.
    private func rewriteHosts(_ id: String, plan: NetworkPlan, addresses: [String], object: String) throws(EngineError) {
        let path = locations.layer(id) + "/hosts"
        let fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)
        if fd < 0 { throw EngineError(.failed, object: object, "open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        do { try Files.writeAll(fd, Array(plan.files.hosts(addresses: addresses).utf8), object: path, stage: "hosts") } catch {
            throw EngineError(.failed, object: object, error.description)
        }
    }

    /// Whether container `id` is known and its processes exist (its addresses are in use).
    private func isRunning(_ id: String) throws(EngineError) -> Bool {
        guard try stateCall("container \(id)", { () throws(StateError) in try store.container(id: id) }) != nil else { return false }
        guard let status = try runtimeState(id, object: "container \(id)")?.status else { return false }
        return status != .stopped
    }

    // MARK: rootless

    /// Where the holder's socket and PID file live, and the stable path of its user namespace
    /// that bundles name (a symlink to /proc/<holder>/ns/user, replaced when a new holder starts,
    /// so a container launched again after the holder changed joins the current one).
    var holderDirectory: String { locations.runtime + "/netns" }
    var holderUserNamespace: String { holderDirectory + "/userns" }

    /// The per-user network namespace, started when none runs.
    func runningHolder() throws(NetworkingError) -> NamespaceHolder {
        let maps = IDMapping.currentUserMaps()
        func helper(_ name: String) -> String {
            let candidates: [String] = ["/usr/bin/" + name, "/bin/" + name, "/usr/sbin/" + name]
            return candidates.first { access($0, X_OK) == 0 } ?? candidates[0]
        }
        let holder = try NamespaceHolder.connect(directory: holderDirectory, initPath: runtime.initPath,
                                                 newuidmap: helper("newuidmap"), newgidmap: helper("newgidmap"),
                                                 uidMap: IDMapping.mapText(maps.uid), gidMap: IDMapping.mapText(maps.gid),
                                                 slirp4netns: NetworkFirewall.nft != nil && NetworkFirewall.nsenter != nil ? NetworkFirewall.slirp4netns : nil)
        let target = holder.userNamespacePath
        if (try? FileManager.default.destinationOfSymbolicLink(atPath: holderUserNamespace)) != target {
            let temporary = holderUserNamespace + ".\(getpid())"
            unlink(temporary)
            if symlink(target, temporary) != 0 || rename(temporary, holderUserNamespace) != 0 {
                throw NetworkingError(.system, object: holderUserNamespace, "symlink: \(String(cString: strerror(errno)))", errno: errno)
            }
        }
        return holder
    }

    /// The per-user network namespace where this user's bridges are, rootless (started when
    /// none runs); nil rootful, where they are in the host's. For the DNS server and the port
    /// forwarder, which open their sockets there (`NamespaceHolder.socket(domain:type:protocol:)`).
    public func rootlessNetworkNamespace() throws(EngineError) -> NamespaceHolder? {
        guard rootless else { return nil }
        return try network("rootless network namespace") { () throws(NetworkingError) in try runningHolder() }
    }

    /// rtnetlink where the bridges are: the host's namespace rootful, the holder's rootless.
    func hostNetlink(_ object: String) throws(EngineError) -> Netlink {
        try network(object) { () throws(NetworkingError) -> Netlink in rootless ? try runningHolder().netlink() : try Netlink() }
    }

    /// A rootless container joins the holder's user namespace instead of making its own with
    /// the same maps: its network namespace then belongs to the holder's user namespace, whose
    /// root may put veths into it.
    private func joinRootlessNamespace(_ oci: inout RuntimeSpec, object: String) throws(EngineError) {
        _ = try network(object) { () throws(NetworkingError) in try runningHolder() }
        joinUserNamespace(&oci, path: holderUserNamespace)
    }

    /// Replaces the container's new user namespace (and its maps) by the one at `path`.
    private func joinUserNamespace(_ oci: inout RuntimeSpec, path: String) {
        var namespaces = oci.linux?.namespaces ?? []
        namespaces.removeAll { $0.type == "user" }
        namespaces.insert(RuntimeSpec.Namespace(type: "user", path: path), at: 0)
        oci.linux?.namespaces = namespaces
        oci.linux?.uidMappings = nil
        oci.linux?.gidMappings = nil
    }

    func network<T>(_ object: String, _ body: () throws(NetworkingError) -> T) throws(EngineError) -> T {
        do { return try body() } catch {
            let code: EngineError.Code = switch error.code {
            case .conflict: .conflict
            case .invalidAddress, .exhausted: .invalidState
            default: .failed
            }
            throw EngineError(code, object: object, error.description)
        }
    }
}
