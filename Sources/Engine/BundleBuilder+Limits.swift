import Foundation
import EngineAPI
import OCISpec
import Runtime

extension BundleBuilder {
    /// `mem_limit`, `memswap_limit`, `cpus`, `cpu_shares`, `cpuset`, `pids_limit`, `shm_size` and
    /// `ulimits`. The cgroup limits are applied by the runtime where it manages a cgroup and
    /// reported by it as not applied elsewhere (rootless without delegation).
    func applyResources(_ oci: inout RuntimeSpec) throws(EngineError) {
        let wanted = spec.resources
        var resources = RuntimeSpec.Resources()
        if wanted.memoryBytes != nil || wanted.memorySwapBytes != nil || wanted.memoryReservationBytes != nil {
            resources.memory = .init(limit: wanted.memoryBytes, reservation: wanted.memoryReservationBytes, swap: wanted.memorySwapBytes)
        }
        if wanted.cpus != nil || wanted.cpuShares != nil || wanted.cpuset != nil {
            let period: UInt64 = 100_000
            resources.cpu = .init(shares: wanted.cpuShares.map { UInt64(max(2, $0)) },
                                  quota: wanted.cpus.map { Int64(($0 * Double(period)).rounded()) },
                                  period: wanted.cpus == nil ? nil : period, cpus: wanted.cpuset)
        }
        if let limit = wanted.pidsLimit { resources.pids = .init(limit: Int64(limit)) }
        if resources != RuntimeSpec.Resources() { oci.linux?.resources = resources }

        if let size = wanted.shmSizeBytes, let index = oci.mounts?.firstIndex(where: { $0.destination == "/dev/shm" }) {
            var options = (oci.mounts?[index].options ?? []).filter { !$0.hasPrefix("size=") }
            options.append("size=\(size)")
            oci.mounts?[index].options = options
        }
        var rlimits = oci.process?.rlimits ?? []
        for (name, limit) in wanted.ulimits.sorted(by: { $0.key < $1.key }) {
            let type = "RLIMIT_" + name.uppercased()
            rlimits.removeAll { $0.type == type }
            rlimits.append(.init(type: type, soft: UInt64(max(0, limit.soft)), hard: UInt64(max(0, limit.hard))))
        }
        oci.process?.rlimits = rlimits
        if let adjustment = wanted.oomScoreAdj {
            guard (-1000...1000).contains(adjustment) else {
                throw EngineError(.invalidState, object: "container \(spec.name)", "oom_score_adj \(adjustment) is outside -1000…1000")
            }
            // Written by the engine once the container is launched (`LocalEngine.launch`).
            oci.process?.oomScoreAdj = adjustment
        }
    }

    /// `cap_add`, `cap_drop` (with `ALL`), `security_opt` and what the runtime does not do yet.
    func applySecurity(_ oci: inout RuntimeSpec) throws(EngineError) {
        let security = spec.security
        // Privileged: every capability (in the container's user namespace when rootless), no
        // seccomp filter, nothing masked or read-only in /proc and /sys, the host's devices.
        var caps = security.privileged ? privilegedCapabilities : Capabilities.defaultSet
        let normalize = { (name: String) -> String in
            let upper = name.uppercased()
            return upper.hasPrefix("CAP_") || upper == "ALL" ? upper : "CAP_" + upper
        }
        let drop = security.capDrop.map(normalize), add = security.capAdd.map(normalize)
        if drop.contains("ALL") { caps = [] } else { caps.removeAll { drop.contains($0) } }
        if add.contains("ALL") {
            caps = Capabilities.names
        } else {
            for name in add where !caps.contains(name) {
                guard Capabilities.numbers[name] != nil else {
                    throw EngineError(.invalidState, object: "container \(spec.name)", "cap_add: unknown capability \(name)")
                }
                caps.append(name)
            }
        }
        var seccomp: RuntimeSpec.Seccomp? = security.privileged ? nil : SeccompProfile.defaultProfile(capabilities: caps)
        var noNewPrivileges = true
        for option in security.securityOpt {
            let parts = option.split(separator: option.contains("=") ? "=" : ":", maxSplits: 1).map(String.init)
            switch (parts.first ?? "", parts.count > 1 ? parts[1] : "") {
            case ("no-new-privileges", let value): noNewPrivileges = value != "false"
            case ("seccomp", "unconfined"): seccomp = nil
            case ("label", "disable"), ("apparmor", "unconfined"): break  // Berth applies neither
            default: try refuse("security_opt \(option)")
            }
        }
        oci.process?.capabilities = .init(bounding: caps, effective: caps, inheritable: nil, permitted: caps, ambient: nil)
        oci.process?.noNewPrivileges = noNewPrivileges
        oci.linux?.seccomp = seccomp
        if security.privileged { applyPrivileged(&oci) }
    }

    /// The capabilities this process may pass on: its bounding set (a root whose own set lacks
    /// some, as on VMs without CAP_SYS_RESOURCE, cannot give them to a container without a user
    /// namespace: capset fails). Every capability Berth knows when the set cannot be read.
    static func boundingCapabilities(status: String = "/proc/self/status") -> [String] {
        guard let text = try? String(contentsOfFile: status, encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("CapBnd:") }),
              let mask = UInt64(line.dropFirst("CapBnd:".count).trimmingCharacters(in: .whitespaces), radix: 16)
        else { return Capabilities.names }
        return Capabilities.names.enumerated().filter { mask & (1 << UInt64($0.offset)) != 0 }.map(\.element)
    }

    /// What `privileged` opens beyond capabilities and seccomp: /proc and /sys unmasked and
    /// writable (sysfs stays read-only where the kernel refuses it, as with the host's network
    /// namespace), and the host's device nodes bound in, as podman binds them rootless (docker
    /// makes nodes; a bind of the same node is the same device).
    func applyPrivileged(_ oci: inout RuntimeSpec) {
        oci.linux?.maskedPaths = nil
        oci.linux?.readonlyPaths = nil
        var mounts = oci.mounts ?? []
        if let index = mounts.firstIndex(where: { $0.type == "sysfs" }) {
            mounts[index].options = (mounts[index].options ?? []).filter { $0 != "ro" } + ["rw"]
        }
        let taken = Set(mounts.map(\.destination) + spec.mounts.map(\.target))
        for device in hostDevices() where !taken.contains(device) {
            mounts.append(.init(destination: device, type: "bind", source: device, options: ["bind", "nosuid", "noexec"]))
        }
        oci.mounts = mounts
    }

    private func refuse(_ key: String) throws(EngineError) {
        throw EngineError(.unsupported, object: "container \(spec.name)", "\(key) is not supported by this engine yet: remove it from the service")
    }
}
