import ComposeSpec
import Foundation

/// Variables the compose files take from the shell that runs `berth systemd`. A unit pins the
/// files, env files and profiles, but systemd starts it with its own small environment, so a
/// value that came from this shell would be missing at boot and the project would mean
/// something else. Found by loading the project again with only what a manager provides.
enum UnpinnedVariables {
    /// What systemd's managers give every service, or give user services (`PATH`, `LANG`, the
    /// user's identity and runtime directory).
    static let provided: Set<String> = ["PATH", "LANG", "HOME", "USER", "LOGNAME", "SHELL", "XDG_RUNTIME_DIR"]

    /// One warning naming the variables, or saying why the project does not load without
    /// them; nil when the shell adds nothing the files use.
    static func warning(for project: Project, options: ComposeLoader.Options) -> String? {
        let shell = options.environment
        var bare = options
        bare.environment = shell.filter { provided.contains($0.key) }
        let underSystemd: Project
        do {
            underSystemd = try ComposeLoader(options: bare).load().project
        } catch {
            return "without this shell's environment, as systemd will start it, the project does not load: \(error); "
                + "put the variables it needs in .env or an --env-file"
        }
        let referenced = project.composeFiles.flatMap { file in
            references(in: (try? String(contentsOfFile: file, encoding: .utf8)) ?? "")
        }
        let names = Set(referenced).filter { name in
            guard let value = shell[name], !provided.contains(name) else { return false }
            return underSystemd.environment[name] != value
        }.sorted()
        guard !names.isEmpty else { return nil }
        return "the compose files use \(names.joined(separator: ", ")) from this shell, which the unit will not have: "
            + "put \(names.count == 1 ? "it" : "them") in .env or an --env-file (the unit pins env files)"
    }

    /// Names in `$NAME` and `${NAME…}`, skipping `$$` (a literal dollar).
    static func references(in text: String) -> [String] {
        var names: [String] = []
        let scalars = Array(text.unicodeScalars)
        var index = 0
        func isNameStart(_ scalar: Unicode.Scalar) -> Bool { scalar == "_" || (scalar.isASCII && scalar.properties.isAlphabetic) }
        func isName(_ scalar: Unicode.Scalar) -> Bool { isNameStart(scalar) || ("0"..."9").contains(scalar) }
        while index < scalars.count {
            guard scalars[index] == "$", index + 1 < scalars.count else { index += 1; continue }
            var start = index + 1
            if scalars[start] == "$" { index += 2; continue }
            if scalars[start] == "{" { start += 1 }
            var end = start
            guard end < scalars.count, isNameStart(scalars[end]) else { index = start; continue }
            while end < scalars.count, isName(scalars[end]) { end += 1 }
            names.append(String(String.UnicodeScalarView(scalars[start..<end])))
            index = end
        }
        return names
    }
}
