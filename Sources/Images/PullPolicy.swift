import Foundation

/// When to pull an image, as compose's `pull_policy` says.
public enum PullPolicy: Sendable, Hashable, Codable, CustomStringConvertible {
    case always
    case missing
    case never
    /// Build instead of pulling; pulling leaves such images to the builder.
    case build
    /// Pull when the local copy was pulled longer ago than this many seconds
    /// (`daily`, `weekly`, `every_<duration>`).
    case every(seconds: Int)

    /// Parses `always`, `missing` (also `if_not_present`), `never`, `build`, `daily`, `weekly`,
    /// `every_12h`, `every_1h30m`, `every_90s`.
    public init(parsing text: String) throws(ImageError) {
        switch text {
        case "always": self = .always
        case "missing", "if_not_present": self = .missing
        case "never": self = .never
        case "build": self = .build
        case "daily": self = .every(seconds: 86_400)
        case "weekly": self = .every(seconds: 7 * 86_400)
        default:
            guard text.hasPrefix("every_"), let seconds = Self.seconds(in: String(text.dropFirst(6))), seconds > 0 else {
                throw ImageError(.invalidReference, text,
                                 "unknown pull policy; use always, missing, never, build, daily, weekly or every_<duration> (e.g. every_12h)")
            }
            self = .every(seconds: seconds)
        }
    }

    /// Go-style durations: a sequence of number+unit with units w, d, h, m, s.
    static func seconds(in text: String) -> Int? {
        var total = 0
        var number = ""
        for character in text {
            if character.isNumber { number.append(character); continue }
            guard let value = Int(number) else { return nil }
            let unit: Int
            switch character {
            case "w": unit = 604_800
            case "d": unit = 86_400
            case "h": unit = 3600
            case "m": unit = 60
            case "s": unit = 1
            default: return nil
            }
            total += value * unit
            number = ""
        }
        return number.isEmpty ? total : nil
    }

    /// Whether to contact the registry, given when (if ever) the image was last pulled.
    public func shouldPull(localPulledAt: Date?, present: Bool, now: Date = Date()) -> Bool {
        switch self {
        case .always: return true
        case .never, .build: return false
        case .missing: return !present
        case .every(let seconds):
            guard present, let pulled = localPulledAt else { return true }
            return now.timeIntervalSince(pulled) >= Double(seconds)
        }
    }

    public var description: String {
        switch self {
        case .always: "always"
        case .missing: "missing"
        case .never: "never"
        case .build: "build"
        case .every(let seconds): "every_\(seconds)s"
        }
    }
}
