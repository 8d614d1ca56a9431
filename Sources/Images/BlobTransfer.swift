import Foundation
import OCISpec
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One streaming blob download: URLSession hands the body over in chunks on its delegate queue,
/// and each chunk goes straight into the `BlobWriter` (hashed and written), so a layer is never
/// held in memory.
final class BlobTransfer: NSObject, URLSessionDataDelegate, Sendable {
    enum Outcome {
        case completed(Descriptor)
        case challenged(AuthChallenge)
        /// `status` and `retryAfter` are the HTTP status and `Retry-After` header, when there was a reply.
        case failed(ImageError, transient: Bool, status: Int = 0, retryAfter: String? = nil)
    }

    private struct State {
        var writer: BlobWriter
        var status = 0
        var challenge: AuthChallenge?
        var failure: ImageError?
        var retryAfter: String?
        var continuation: CheckedContinuation<Outcome, Never>?
    }

    private let state: Mutex<State>
    private let endpointDescription: String
    private let progress: @Sendable (Int64) -> Void

    private init(writer: sending BlobWriter, host: String, progress: @escaping @Sendable (Int64) -> Void) {
        state = Mutex(State(writer: writer))
        endpointDescription = host
        self.progress = progress
    }

    /// Downloads `expected` into `store`, resuming a partial ingest with a Range request, and
    /// commits (verifies and publishes) the blob when the body is complete.
    static func run(_ original: URLRequest, store: ContentStore, expected: Descriptor,
                    progress: @escaping @Sendable (Int64) -> Void) async -> Outcome
    {
        let writer: BlobWriter
        do throws(ImageError) {
            writer = try store.writer(expected: expected)
        } catch {
            return .failed(error, transient: false)
        }
        if writer.isAlreadyStored { return .completed(expected) }
        var request = original
        if writer.offset > 0 { request.setValue("bytes=\(writer.offset)-", forHTTPHeaderField: "Range") }
        let host = "\(request.url?.host ?? "registry"):\(request.url?.port ?? (request.url?.scheme == "http" ? 80 : 443))"
        let transfer = BlobTransfer(writer: writer, host: host, progress: progress)
        let session = URLSession(configuration: .ephemeral, delegate: transfer, delegateQueue: nil)
        defer { session.finishTasksAndInvalidate() }
        let task = session.dataTask(with: request)
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                transfer.state.withLock { $0.continuation = continuation }
                task.resume()
            }
        } onCancel: {
            task.cancel()
        }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void)
    {
        let http = response as? HTTPURLResponse
        let status = http?.statusCode ?? 0
        let disposition: URLSession.ResponseDisposition = state.withLock { state in
            state.status = status
            switch status {
            case 200:
                if state.writer.offset > 0 { state.writer.restart() }  // server ignored the Range
                return .allow
            case 206:
                return .allow
            case 401:
                state.challenge = http?.value(forHTTPHeaderField: "WWW-Authenticate").flatMap(AuthChallenge.init)
                return .cancel
            case 416:
                state.writer.restart()
                state.failure = ImageError(.registryError, endpointDescription, "range not satisfiable; restarting the download")
                return .cancel
            default:
                state.retryAfter = http?.value(forHTTPHeaderField: "Retry-After")
                state.failure = ImageError(status == 404 ? .imageNotFound : .registryError, endpointDescription,
                                           status == 404 ? "blob not found in the registry" : "registry answered HTTP \(status)")
                return .cancel
            }
        }
        completionHandler(disposition)
    }

    /// See `HTTPExchange`: corelibs would otherwise wait forever for a credential on a Basic 401.
    func urlSession(_ session: URLSession, task: URLSessionTask, didReceive challenge: URLAuthenticationChallenge,
                    completionHandler: @escaping (URLSession.AuthChallengeDisposition, URLCredential?) -> Void)
    {
        let failure = challenge.failureResponse as? HTTPURLResponse
        state.withLock { state in
            state.status = failure?.statusCode ?? 401
            state.challenge = failure?.value(forHTTPHeaderField: "WWW-Authenticate").flatMap(AuthChallenge.init)
        }
        completionHandler(.cancelAuthenticationChallenge, nil)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        let (written, failed) = state.withLock { state -> (Int64, Bool) in
            guard state.failure == nil else { return (state.writer.offset, true) }
            do throws(ImageError) {
                try state.writer.write(data)
            } catch {
                state.failure = error
                return (state.writer.offset, true)
            }
            return (state.writer.offset, false)
        }
        if failed { dataTask.cancel() } else { progress(written) }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        let (continuation, outcome) = state.withLock { state -> (CheckedContinuation<Outcome, Never>?, Outcome) in
            let outcome: Outcome
            if let challenge = state.challenge, state.status == 401 {
                outcome = .challenged(challenge)
            } else if let failure = state.failure {
                let transient = failure.code == .registryError && (state.status >= 500 || state.status == 429 || state.status == 416)
                outcome = .failed(failure, transient: transient, status: state.status, retryAfter: state.retryAfter)
            } else if state.status == 401 {
                outcome = .failed(ImageError(.unauthorized, endpointDescription, "authentication required; run `berth login`"), transient: false)
            } else if let error {
                let classified = BlobTransfer.classify(error, host: endpointDescription)
                outcome = .failed(classified.error, transient: classified.transient)
            } else {
                do throws(ImageError) {
                    outcome = .completed(try state.writer.commit())
                } catch {
                    outcome = .failed(error, transient: false)
                }
            }
            defer { state.continuation = nil }
            return (state.continuation, outcome)
        }
        continuation?.resume(returning: outcome)
    }

    /// Turns a URLSession error into a message naming the registry's host and port.
    static func classify(_ error: any Error, endpoint: RegistryEndpoint) -> (error: ImageError, transient: Bool) {
        classify(error, host: endpoint.hostAndPort)
    }

    static func classify(_ error: any Error, host: String) -> (error: ImageError, transient: Bool) {
        let code = (error as? URLError)?.code
        let message = (error as? URLError).map { $0.localizedDescription } ?? "\(error)"
        switch code {
        case .cannotConnectToHost?, .cannotFindHost?, .dnsLookupFailed?:
            return (ImageError(.registryUnreachable, host, "cannot connect to the registry at \(host): \(message); is it running and reachable?"), true)
        case .timedOut?, .networkConnectionLost?, .notConnectedToInternet?:
            return (ImageError(.registryUnreachable, host, "connection to \(host) failed: \(message)"), true)
        case .serverCertificateUntrusted?, .secureConnectionFailed?, .serverCertificateHasBadDate?:
            return (ImageError(.registryUnreachable, host, "TLS with \(host) failed: \(message); mark it insecure in registries.conf only if you trust the network"), false)
        case .cancelled?:
            return (ImageError(.registryUnreachable, host, "transfer cancelled"), false)
        default:
            return (ImageError(.registryUnreachable, host, "request to \(host) failed: \(message)"), true)
        }
    }
}
