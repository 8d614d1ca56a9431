/// docker compose takes the project flags before the subcommand (`berth -f a.yaml up -d`).
/// ArgumentParser has no global options, so those flags are moved behind the subcommand name,
/// where every project command declares them through `ProjectOptions`.
enum GlobalOptions {
    /// Flags that take a value.
    static let valued: Set<String> = ["-f", "--file", "-p", "--project-name", "--project-directory",
                                      "--env-file", "--profile"]

    /// Short flags a subcommand gives another meaning than the project flag of the same letter
    /// (`logs -f` follows, `berth -f a.yaml logs` names a file): rewritten to the subcommand's
    /// long flag, while a hoisted project flag travels in its long form.
    static let subcommandShortFlags: [String: [String: String]] = ["logs": ["-f": "--follow"]]
    static let longForms = ["-f": "--file", "-p": "--project-name"]

    /// `nested` names each group's own subcommands, so `berth -f a.yaml systemd generate` moves
    /// the flags behind `generate`, the command that declares them.
    static func reorder(_ arguments: [String], subcommands: Set<String>, nested: [String: Set<String>] = [:]) -> [String] {
        var hoisted: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if subcommands.contains(argument) {
                var head = [argument]
                var rest = Array(arguments[(index + 1)...])
                if let next = rest.first, nested[argument]?.contains(next) == true {
                    head.append(next)
                    rest.removeFirst()
                }
                if let overrides = subcommandShortFlags[argument] {
                    let end = rest.firstIndex(of: "--") ?? rest.count
                    for position in 0..<end { if let long = overrides[rest[position]] { rest[position] = long } }
                }
                return head + hoisted + rest
            }
            if valued.contains(argument), index + 1 < arguments.count {
                // The long spelling: `rm` has a `-f` of its own (--force), `-p` reads as the project everywhere.
                hoisted += [longForms[argument] ?? argument, arguments[index + 1]]
                index += 2
                continue
            }
            if let flag = argument.split(separator: "=", maxSplits: 1).first, argument.contains("="),
               valued.contains(String(flag)) {
                hoisted.append(argument)
                index += 1
                continue
            }
            // Anything else before the subcommand (--help, --version) stays where it is.
            return arguments
        }
        return arguments
    }
}
