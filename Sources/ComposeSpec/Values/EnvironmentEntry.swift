/// A list-form `environment`, `labels` or `annotations` entry: `KEY=VALUE`, `KEY=` or `KEY`.
public enum EnvironmentEntry {
    /// Splits at the first `=`: `KEY=` gives an empty value, a bare `KEY` gives nil (for
    /// `environment`, the loader then takes the value from the environment or drops the key).
    public static func parse(_ entry: String) -> (key: String, value: String?) {
        guard let equals = entry.firstIndex(of: "=") else { return (entry, nil) }
        return (String(entry[..<equals]), String(entry[entry.index(after: equals)...]))
    }
}
