#if canImport(Glibc)
import Glibc
#endif
import EngineAPI
import Foundation
import SystemSupport

/// The packet filter rules of one bridge network, in an nftables table of its own named after
/// the bridge, so making, replacing and deleting them never touches another network's or the
/// host's rules: containers of other Berth networks are dropped on the way in and out (docker's
/// isolation), an `internal` network forwards nothing, and a normal one masquerades its subnet
/// on the way out. Forwarding itself (`net.ipv4.ip_forward`) is turned on rootful by
/// `LocalEngine.enableForwarding` for a network with a way out, as docker does.
/// Applied with `nft` when it is installed; without it the host's own rules decide.
enum NetworkFirewall {
    static let nft: String? = ["/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft"].first { access($0, X_OK) == 0 }

    /// The ruleset that replaces the table of `bridge` in one transaction (`inet`: IPv4 and IPv6).
    static func rules(bridge: String, subnet: String, subnet6: String? = nil, isInternal: Bool) -> String {
        var forward = ["iifname \"\(bridge)\" oifname != \"\(bridge)\" oifname \"berth-*\" drop"]
        if isInternal {
            forward += ["iifname \"\(bridge)\" oifname != \"\(bridge)\" drop", "oifname \"\(bridge)\" iifname != \"\(bridge)\" drop"]
        }
        var text = """
            add table inet \(bridge)
            delete table inet \(bridge)
            table inet \(bridge) {
              chain forward {
                type filter hook forward priority filter; policy accept;

            """
        text += forward.map { "    " + $0 + "\n" }.joined() + "  }\n"
        if !isInternal {
            text += """
                  chain postrouting {
                    type nat hook postrouting priority srcnat; policy accept;
                    ip saddr \(subnet) oifname != "\(bridge)" masquerade

                """
            if let subnet6 { text += "    ip6 saddr \(subnet6) oifname != \"\(bridge)\" masquerade\n" }
            text += """
                  }

                """
        }
        return text + "}\n"
    }

    static let nsenter: String? = ["/usr/bin/nsenter", "/bin/nsenter"].first { access($0, X_OK) == 0 }
    static let slirp4netns: String? = ["/usr/bin/slirp4netns", "/bin/slirp4netns"].first { access($0, X_OK) == 0 }

    /// Rootless, the rules go into the per-user namespace of process `holder` (through
    /// `nsenter`, as that namespace's root); rootful into the host's.
    static func apply(bridge: String, subnet: String, subnet6: String?, isInternal: Bool, holder: Int32? = nil,
                      object: String) throws(EngineError) {
        try run(rules(bridge: bridge, subnet: subnet, subnet6: subnet6, isInternal: isInternal), holder: holder, object: object)
    }

    static func remove(bridge: String, holder: Int32? = nil, object: String) throws(EngineError) {
        try run("add table inet \(bridge)\ndelete table inet \(bridge)\n", holder: holder, object: object)
    }

    /// `nft -f /dev/stdin` with `script` on its standard input; its standard error in the error.
    private static func run(_ script: String, holder: Int32?, object: String) throws(EngineError) {
        guard let nft else { return }
        var arguments = [nft, "-f", "/dev/stdin"]
        if let holder {
            guard let nsenter else { return }
            arguments = [nsenter, "-t", "\(holder)", "-U", "-n", "--"] + arguments
        }
        do {
            let input = try Files.anonymousFile(stage: "nft")
            defer { close(input) }
            try Files.writeAll(input, Array(script.utf8), object: "nft script", stage: "nft")
            lseek(input, 0, SEEK_SET)
            let outcome = try Spawn.runHelper(arguments[0], arguments: arguments, input: input,
                                              environment: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"], stage: "nft")
            guard outcome.status.shellCode == 0 else {
                throw EngineError(.failed, object: object, "\(arguments.joined(separator: " ")): exit \(outcome.status.shellCode): \(outcome.errors)")
            }
        } catch let error as SystemError {
            throw EngineError(.failed, object: object, error.description)
        } catch let error as EngineError {
            throw error
        } catch {
            throw EngineError(.failed, object: object, "\(error)")
        }
    }
}
