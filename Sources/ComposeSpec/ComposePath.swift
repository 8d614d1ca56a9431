/// A key path into a compose document, printed the way users write it: `services.web.ports[1]`.
public struct ComposePath: Sendable, Hashable, CustomStringConvertible {
    public enum Component: Sendable, Hashable {
        case key(String)
        case index(Int)
    }

    public var components: [Component]

    public init(_ components: [Component] = []) { self.components = components }

    public static let root = ComposePath()

    public func appending(_ key: String) -> ComposePath { ComposePath(components + [.key(key)]) }
    public func appending(index: Int) -> ComposePath { ComposePath(components + [.index(index)]) }

    public var description: String {
        var text = ""
        for component in components {
            switch component {
            case .key(let key):
                if !text.isEmpty { text += "." }
                text += key
            case .index(let index):
                text += "[\(index)]"
            }
        }
        return text
    }
}
