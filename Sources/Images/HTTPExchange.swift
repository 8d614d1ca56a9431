import Foundation
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One HTTP request/response over URLSession, with 401 challenges handed back to the caller.
///
/// swift-corelibs-foundation answers a `401` carrying `WWW-Authenticate: Basic` by waiting for a
/// credential from the session delegate, and with no delegate the request never completes. The
/// registry client does its own authentication from the challenge header, so every session gets
/// this delegate: it records the 401 response and cancels the built-in handling, and the caller
/// sees an ordinary 401 response.
enum HTTPExchange {
    static func perform(_ request: URLRequest, bodyFile: URL? = nil,
                        configuration: URLSessionConfiguration = .ephemeral) async throws -> (Data, HTTPURLResponse)
    {
        let catcher = ChallengeCatcher()
        let session = URLSession(configuration: configuration, delegate: catcher, delegateQueue: nil)
        defer { session.finishTasksAndInvalidate() }
        do {
            let (data, response) = if let bodyFile {
                try await session.upload(for: request, fromFile: bodyFile)
            } else {
                try await session.data(for: request)
            }
            guard let http = response as? HTTPURLResponse else { throw URLError(.badServerResponse) }
            return (data, http)
        } catch {
            if let challenged = catcher.response { return (Data(), challenged) }
            throw error
        }
    }
}

/// Records the response of an authentication challenge and declines to answer it.
final class ChallengeCatcher: NSObject, URLSessionTaskDelegate, Sendable {
    private let caught = Mutex<HTTPURLResponse?>(nil)

    var response: HTTPURLResponse? { caught.withLock { $0 } }

    func urlSession(_ session: URLSession, task: URLSessionTask, didReceive challenge: URLAuthenticationChallenge,
                    completionHandler: @escaping (URLSession.AuthChallengeDisposition, URLCredential?) -> Void)
    {
        if let failure = challenge.failureResponse as? HTTPURLResponse { caught.withLock { $0 = failure } }
        completionHandler(.cancelAuthenticationChallenge, nil)
    }
}
