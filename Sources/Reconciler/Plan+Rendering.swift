extension Plan {
    /// The lines `up --dry-run` prints: verb, object and reason in aligned columns, warnings last;
    /// "nothing to do" for an empty plan.
    public func rendered() -> String {
        var rows = steps.map { [$0.verb, $0.object, $0.reason] }
        rows += warnings.map { ["warning", $0.object, $0.message] }
        guard !rows.isEmpty else { return "nothing to do\n" }
        let verbWidth = rows.map { $0[0].count }.max() ?? 0
        let objectWidth = rows.map { $0[1].count }.max() ?? 0
        var text = ""
        for row in rows {
            text += pad(row[0], verbWidth) + "  " + pad(row[1], objectWidth) + "  " + row[2] + "\n"
        }
        return text
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text + String(repeating: " ", count: max(0, width - text.count))
    }
}
