import Foundation
import FoundationNetworking
import Synchronization
import HandoffSystem

/// The transport for `https` endpoints: `URLSession`, which checks the server against the
/// system's trust store. See ``EtcdTransport`` for the one way it can fail badly.
final class EtcdURLSessionTransport: EtcdTransport {
    private let session: URLSession

    init(timeout: Duration) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout.secondsValue
        configuration.httpMaximumConnectionsPerHost = 16
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        session = URLSession(configuration: configuration)
    }

    deinit { session.finishTasksAndInvalidate() }

    static func urlRequest(_ request: EtcdHTTPRequest) -> URLRequest {
        var urlRequest = URLRequest(url: request.endpoint.url.appendingPathComponent(String(request.path.dropFirst())))
        urlRequest.httpMethod = "POST"
        urlRequest.httpBody = request.body
        urlRequest.timeoutInterval = request.timeout.secondsValue
        urlRequest.setValue("application/json", forHTTPHeaderField: "Content-Type")
        // libcurl would otherwise wait for "100 Continue" before sending a large body.
        urlRequest.setValue("", forHTTPHeaderField: "Expect")
        if let token = request.token { urlRequest.setValue(token, forHTTPHeaderField: "Authorization") }
        return urlRequest
    }

    /// Sorts a failed task's error: a connection never made, or a request that may have gone.
    static func failure(_ error: any Error, endpoint: EtcdEndpoint) -> EtcdClientError {
        let reason = "\(endpoint): \(error.localizedDescription)"
        switch (error as? URLError)?.code {
        case .cannotConnectToHost?, .cannotFindHost?, .dnsLookupFailed?, .notConnectedToInternet?,
             .secureConnectionFailed?, .serverCertificateUntrusted?, .serverCertificateHasBadDate?,
             .serverCertificateNotYetValid?, .serverCertificateHasUnknownRoot?, .clientCertificateRejected?,
             .clientCertificateRequired?, .cannotLoadFromNetwork?, .unsupportedURL?:
            return .unreachable(reason)
        default:
            return .outcomeUnknown(reason)
        }
    }

    func post(_ request: EtcdHTTPRequest, completion: @escaping @Sendable (Result<EtcdHTTPResponse, EtcdClientError>) -> Void) {
        session.dataTask(with: EtcdURLSessionTransport.urlRequest(request)) { data, response, error in
            if let error { return completion(.failure(EtcdURLSessionTransport.failure(error, endpoint: request.endpoint))) }
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            completion(.success(EtcdHTTPResponse(status: status, body: data ?? Data())))
        }.resume()
    }

    func stream(_ request: EtcdHTTPRequest,
                onHead: @escaping @Sendable (Int) -> Void,
                onData: @escaping @Sendable (Data) -> Void,
                onEnd: @escaping @Sendable (EtcdClientError?) -> Void) -> any EtcdStream {
        SessionStream(request, onHead: onHead, onData: onData, onEnd: onEnd)
    }
}

/// A streaming request on a session of its own, whose delegate hands on the body as it comes.
private final class SessionStream: NSObject, URLSessionDataDelegate, EtcdStream {
    private let endpoint: EtcdEndpoint
    private let onHead: @Sendable (Int) -> Void
    private let onData: @Sendable (Data) -> Void
    private let onEnd: @Sendable (EtcdClientError?) -> Void
    private let session = Mutex<URLSession?>(nil)

    init(_ request: EtcdHTTPRequest, onHead: @escaping @Sendable (Int) -> Void,
         onData: @escaping @Sendable (Data) -> Void, onEnd: @escaping @Sendable (EtcdClientError?) -> Void) {
        endpoint = request.endpoint
        self.onHead = onHead
        self.onData = onData
        self.onEnd = onEnd
        super.init()
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = request.timeout.secondsValue
        configuration.timeoutIntervalForResource = .greatestFiniteMagnitude
        let session = URLSession(configuration: configuration, delegate: self, delegateQueue: nil)
        self.session.withLock { $0 = session }
        session.dataTask(with: EtcdURLSessionTransport.urlRequest(request)).resume()
    }

    /// Cancels the request and invalidates the session, which lets go of this delegate.
    func cancel() {
        session.withLock { session in
            session?.invalidateAndCancel()
            session = nil
        }
    }

    private var isLive: Bool { session.withLock { $0 != nil } }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void) {
        if isLive { onHead((response as? HTTPURLResponse)?.statusCode ?? 0) }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        if isLive { onData(data) }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        guard isLive else { return }
        cancel()
        onEnd(error.map { EtcdURLSessionTransport.failure($0, endpoint: endpoint) })
    }
}
