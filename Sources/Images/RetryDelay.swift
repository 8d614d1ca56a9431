import Foundation

/// How long a registry client waits before retrying a transient failure.
///
/// A `429 Too Many Requests` or `503 Service Unavailable` may carry `Retry-After` (RFC 9110
/// §10.2.3: delta-seconds or an HTTP-date). Berth waits that long when it is within `limit`;
/// beyond it (Docker Hub's pull limit answers with hours), waiting in a CLI helps nobody, so the
/// request fails at once and the error says when to try again. Without the header, or on other
/// transient failures, the delay is an exponential back-off from 250 ms.
enum RetryDelay: Sendable, Hashable {
    case wait(Duration)
    /// The server asked for a longer wait than `limit`; the number is what it asked for.
    case tooLong(Duration)

    static func decide(status: Int, retryAfter header: String?, attempt: Int, limit: Duration,
                       now: Date = Date()) -> RetryDelay
    {
        if status == 429 || status == 503, let header, let asked = parse(header, now: now) {
            return asked <= limit ? .wait(asked) : .tooLong(asked)
        }
        return .wait(min(backOff(attempt: attempt), limit))
    }

    /// 500 ms, 1 s, 2 s … for attempts 1, 2, 3 …
    static func backOff(attempt: Int) -> Duration { .milliseconds(250 << min(max(attempt, 0), 10)) }

    /// The wait a `Retry-After` value asks for, or nil when it is neither form. A date in the past
    /// asks for no wait.
    static func parse(_ header: String, now: Date) -> Duration? {
        let text = header.trimmingCharacters(in: .whitespaces)
        if !text.isEmpty, text.allSatisfy(\.isASCII), text.allSatisfy(\.isNumber) {
            // Twelve digits are already millennia, far beyond any limit; reading no more keeps
            // Int64 from overflowing on an absurd header.
            return .seconds(Int64(text.prefix(12)) ?? 0)
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"  // IMF-fixdate, the form servers send
        guard let date = formatter.date(from: text) else { return nil }
        return .milliseconds(Int64(max(0, date.timeIntervalSince(now)) * 1000))
    }
}

extension Duration {
    /// Whole seconds, rounded up, for messages.
    var roundedUpSeconds: Int64 { components.seconds + (components.attoseconds > 0 ? 1 : 0) }
}
