import YAML

/// `develop`: what `watch` does when files change.
public struct DevelopConfig: Sendable, Hashable, Codable {
    public var watch: [WatchTrigger]?

    public init(watch: [WatchTrigger]? = nil) { self.watch = watch }

    enum CodingKeys: String, CodingKey, CaseIterable { case watch }

    /// One `develop.watch` entry. Keys print in compose-go's order.
    public struct WatchTrigger: Sendable, Hashable, Codable {
        public enum Action: String, Sendable, Hashable, Codable, CaseIterable {
            case rebuild, sync, restart
            case syncRestart = "sync+restart"
            case syncExec = "sync+exec"
        }

        public var path: String
        public var action: Action
        /// Where `sync` actions copy to in the container.
        public var target: String?
        /// The command `sync+exec` runs after syncing.
        public var exec: ServiceHook?
        public var include: [String]?
        public var ignore: [String]?
        public var initialSync: Bool?

        public init(path: String, action: Action) {
            self.path = path
            self.action = action
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case path, action, target, exec, include, ignore
            case initialSync = "initial_sync"
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let node = try NodeDecoder.of(decoder)
            path = try container.decode(String.self, forKey: .path)
            guard let actionNode = node.optionalChild("action") else {
                throw node.fail(.missingKey, "missing required key \"action\"")
            }
            let actionText = try actionNode.string()
            guard let action = Action(rawValue: actionText) else {
                throw actionNode.fail("unknown watch action \"\(actionText)\" (expected \(Action.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            self.action = action
            target = try container.decodeIfPresent(String.self, forKey: .target)
            exec = try container.decodeIfPresent(ServiceHook.self, forKey: .exec)
            include = try node.optionalChild("include")?.stringOrList()
            ignore = try node.optionalChild("ignore")?.stringOrList()
            initialSync = try container.decodeIfPresent(Bool.self, forKey: .initialSync)
            // compose-go's load-time check (watch itself would fail later, far from the file).
            if [.sync, .syncRestart, .syncExec].contains(action) && target == nil {
                throw node.fail(.missingKey, "action \(action.rawValue) needs a target to sync to")
            }
        }
    }
}
