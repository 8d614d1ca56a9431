/// Bounds the parser enforces so that a hostile or broken file fails fast instead of exhausting
/// memory or time. Checked before (size) and during (depth, node count) parsing.
public struct YAMLLimits: Sendable, Hashable, Codable {
    /// Largest input accepted, in bytes; larger inputs fail with `.tooLarge` before parsing.
    public var maxBytes: Int
    /// Deepest nesting of collections accepted; deeper documents fail with `.tooDeep`. Parsing
    /// itself uses no call stack per level, but comparing, hashing, emitting and releasing a
    /// tree recurse: keep this in the low thousands.
    public var maxDepth: Int
    /// Most nodes a document may produce, counting each alias as the size of what it expands
    /// to; more fail with `.aliasExpansion` ("billion laughs").
    public var maxNodes: Int

    /// Limits of your own; start from `.default` and change one field where you can.
    public init(maxBytes: Int, maxDepth: Int, maxNodes: Int) {
        self.maxBytes = maxBytes
        self.maxDepth = maxDepth
        self.maxNodes = maxNodes
    }

    /// 32 MiB, 1,000 levels, 5,000,000 nodes: far above any real compose file (a 5,000-service
    /// file is a few MB and well under a million nodes), far below what hurts.
    public static let `default` = YAMLLimits(maxBytes: 32 << 20, maxDepth: 1_000, maxNodes: 5_000_000)
}
