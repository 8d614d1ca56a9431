/// docker compose takes the project flags before the subcommand (`berth -f a.yaml up -d`).
/// ArgumentParser has no global options, so those flags are moved behind the subcommand name,
/// where every project command declares them through `ProjectOptions`.
enum GlobalOptions {
    /// Flags that take a value.
    static let valued: Set<String> = ["-f", "--file", "-p", "--project-name", "--project-directory",
                                      "--env-file", "--profile"]

    static func reorder(_ arguments: [String], subcommands: Set<String>) -> [String] {
        var hoisted: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if subcommands.contains(argument) {
                return [argument] + hoisted + arguments[(index + 1)...]
            }
            if valued.contains(argument), index + 1 < arguments.count {
                // The long spelling: `rm` has a `-f` of its own (--force).
                hoisted += [argument == "-f" ? "--file" : argument, arguments[index + 1]]
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
