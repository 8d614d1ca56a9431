/// The flags of `down`.
public struct DownOptions: Sendable, Hashable, Codable {
    public enum RemoveImages: String, Sendable, Hashable, Codable {
        case none
        /// `--rmi local`: images without a custom tag (those compose names after the service).
        case local
        /// `--rmi all`.
        case all
    }

    /// `-v`: remove the project's named volumes and containers' anonymous volumes.
    public var removeVolumes = false
    public var removeImages = RemoveImages.none
    public var removeOrphans = false
    /// `-t`.
    public var timeout: Double?
    /// `down SERVICE…`: only these services' containers; the project's networks, volumes and
    /// images go only once no other container of the project is left. Empty: the whole project.
    public var services: Set<String> = []

    public init() {}
}
