import ArgumentParser
import Foundation
import Images

/// `berth login REGISTRY`: checks the credential against the registry, then stores it in
/// `auth.json` (where podman and skopeo find it too).
struct Login: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "login", abstract: "Log in to a registry.")

    @Option(name: .shortAndLong, help: "User name.") var username: String?
    @Option(name: .shortAndLong, help: "Password (prefer --password-stdin).") var password: String?
    @Flag(name: .long, help: "Read the password from standard input.") var passwordStdin = false
    @Option(name: .long, help: "auth.json to write (default: $XDG_RUNTIME_DIR/containers/auth.json).") var authfile: String?
    @Argument(help: "Registry, e.g. registry.example.com or localhost:5000 (default: docker.io).") var registry = "docker.io"

    func run() async throws {
        guard let username = username ?? prompt("Username: ") else { throw CommandFailure("a user name is required") }
        let secret: String?
        if passwordStdin {
            secret = readLine(strippingNewline: true)
        } else {
            secret = password ?? String(validatingCString: getpass("Password: "))
        }
        guard let secret, !secret.isEmpty else { throw CommandFailure("a password is required") }
        let credential = Credential(username: username, password: secret)
        let client = RegistryClient(endpoint: RegistryEndpoint(registry: registry, configuration: .load()), credential: credential)
        try await client.verifyLogin()
        let file = authfile.map { AuthFile(searchPath: [URL(fileURLWithPath: $0)]) } ?? AuthFile()
        try file.store(credential, for: registry)
        print("Login Succeeded")
    }

    private func prompt(_ text: String) -> String? {
        FileHandle.standardError.write(Data(text.utf8))
        return readLine(strippingNewline: true)
    }
}

/// `berth logout REGISTRY`: forgets the stored credential.
struct Logout: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logout", abstract: "Log out of a registry.")

    @Option(name: .long, help: "auth.json to edit.") var authfile: String?
    @Argument(help: "Registry (default: docker.io).") var registry = "docker.io"

    func run() throws {
        let file = authfile.map { AuthFile(searchPath: [URL(fileURLWithPath: $0)]) } ?? AuthFile()
        if try file.remove(for: registry) {
            print("Removed login credentials for \(registry)")
        } else {
            throw CommandFailure("\(registry): not logged in")
        }
    }
}
