/// Splits a command string into words the way a POSIX shell would (quotes, backslashes), which is
/// how compose turns `command: npm run start` into an argument list. No expansion is done.
public enum ShellWords {
    public static func split(_ text: String) throws(ComposeValueError) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        var escaped = false
        for character in text {
            if escaped {
                if quote == "\"" && !"\\\"$`\n".contains(character) { current.append("\\") }
                if character != "\n" || quote != nil { current.append(character) }
                escaped = false
                inWord = true
                continue
            }
            switch (character, quote) {
            case ("\\", nil), ("\\", "\""):
                escaped = true
            case ("'", nil), ("\"", nil):
                quote = character
                inWord = true
            case (let c, let q?) where c == q:
                quote = nil
            case (" ", nil), ("\t", nil), ("\n", nil):
                if inWord { words.append(current); current = ""; inWord = false }
            default:
                current.append(character)
                inWord = true
            }
        }
        if escaped { current.append("\\") }
        if quote != nil { throw ComposeValueError("unterminated quote in \"\(text)\"") }
        if inWord { words.append(current) }
        return words
    }
}
