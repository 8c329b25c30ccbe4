import FoundationEssentials
import Handoff
import Synchronization
import HandoffSystem

/// Speaks etcd's v3 JSON gateway (`POST /v3/...`): one endpoint at a time, the next one on a
/// connection error, and the auth token fetched, sent and renewed. Requests travel by an
/// ``EtcdTransport``: its own HTTP/1.1, over TLS (the system's OpenSSL, loaded at run time) for
/// `https` endpoints.
///
/// The core is callback-based (``perform(_:body:idempotent:completion:)``) so that timers and
/// streams can use it without a task; ``call(_:_:idempotent:as:)`` is its `async` face. Which
/// failures move on to the next endpoint:
/// - the connection could not be made (refused, no route, unknown host, TLS refused): always,
///   since nothing was sent;
/// - the request was sent and no answer came (timeout, connection lost), or etcd answered
///   "unavailable" (no leader): only for requests that may be repeated (`idempotent`). A
///   transaction that may have been applied is reported as ``EtcdClientError/outcomeUnknown(_:)``
///   rather than sent twice.
final class EtcdClient: Sendable {
    let endpoints: [EtcdEndpoint]
    let credentials: EtcdCredentials?
    let timeout: Duration
    private let transport: EtcdSocketTransport
    private struct State {
        /// The endpoint requests go to first.
        var current = 0
        var token: String?
    }
    private let state = Mutex(State())

    /// - Throws: `HandoffError` from ``EtcdTLSContext/init(_:)`` when an endpoint is `https`:
    ///   OpenSSL missing (`tlsUnavailable`), or a CA, certificate or key file that cannot be used.
    init(endpoints: [EtcdEndpoint], credentials: EtcdCredentials?, timeout: Duration,
         tls: EtcdTLSConfiguration = EtcdTLSConfiguration()) throws(HandoffError) {
        self.endpoints = endpoints
        self.credentials = credentials
        self.timeout = timeout
        transport = EtcdSocketTransport(tls: endpoints.contains(where: \.secure) ? try EtcdTLSContext(tls) : nil)
    }

    private func transport(for endpoint: EtcdEndpoint) -> any EtcdTransport { transport }

    // MARK: async

    /// Sends `request` as JSON to `path` and decodes the answer.
    func call<Request: Encodable, Response: Decodable>(
        _ path: String, _ request: Request, idempotent: Bool, as: Response.Type = Response.self
    ) async throws(EtcdClientError) -> Response {
        let body = try EtcdClient.encode(request)
        let result = await withCheckedContinuation { continuation in
            perform(path, body: body, idempotent: idempotent) { continuation.resume(returning: $0) }
        }
        return try EtcdClient.decode(Response.self, from: result.get())
    }

    /// A transaction.
    func txn(_ request: EtcdTxnRequest, idempotent: Bool) async throws(EtcdClientError) -> EtcdTxnResponse {
        try await call("/v3/kv/txn", request, idempotent: idempotent)
    }

    /// Grants a lease of `seconds`; returns its ID.
    func grantLease(seconds: Int64) async throws(EtcdClientError) -> Int64 {
        let answer: EtcdLeaseResponse = try await call("/v3/lease/grant", EtcdLeaseGrantRequest(ttlSeconds: seconds), idempotent: false)
        guard answer.error.isEmpty, answer.id != 0 else {
            throw .refused(code: 0, message: answer.error.isEmpty ? "the lease grant returned no lease" : answer.error, status: 200)
        }
        return answer.id
    }

    /// Revokes a lease, deleting every key attached to it. A lease already gone is no error.
    func revokeLease(_ id: Int64) async throws(EtcdClientError) {
        do {
            let _: EtcdEmptyResponse = try await call("/v3/lease/revoke", EtcdLeaseIDRequest(id: id), idempotent: true)
        } catch where error.isLeaseNotFound {
            return
        }
    }

    // MARK: callbacks

    /// Sends `body` to `path` at the current endpoint, moving on to the others as described on
    /// the type, and calls `completion` with the body of a 200 answer or the failure.
    func perform(_ path: String, body: Data, idempotent: Bool,
                 completion: @escaping @Sendable (Result<Data, EtcdClientError>) -> Void) {
        attempt(Attempt(path: path, body: body, idempotent: idempotent), completion)
    }

    /// The endpoint to use now and the token to send (fetched first if credentials are set and
    /// there is none), for a caller that makes its own request (a watch).
    func prepare(completion: @escaping @Sendable (Result<(EtcdEndpoint, String?), EtcdClientError>) -> Void) {
        let (index, token) = state.withLock { ($0.current, $0.token) }
        guard credentials != nil, token == nil else {
            completion(.success((endpoints[index], token)))
            return
        }
        authenticate(from: index, tried: 0) { result in
            completion(result.map { (self.endpoints[$0.index], $0.token) })
        }
    }

    /// Forgets `token` (etcd said it is invalid), so the next request fetches a new one.
    func invalidate(token: String?) {
        state.withLock { if $0.token == token { $0.token = nil } }
    }

    /// Moves past `endpoint` after a connection failure seen by a caller with its own request.
    func failed(_ endpoint: EtcdEndpoint) {
        state.withLock { state in
            if endpoints[state.current] == endpoint { state.current = (state.current + 1) % endpoints.count }
        }
    }

    /// Starts a streaming request (a watch) at `endpoint`; see ``EtcdTransport/stream(_:onHead:onData:onEnd:)``.
    func stream(_ path: String, at endpoint: EtcdEndpoint, body: Data, token: String?, timeout: Duration,
                onHead: @escaping @Sendable (Int) -> Void, onData: @escaping @Sendable (Data) -> Void,
                onEnd: @escaping @Sendable (EtcdClientError?) -> Void) -> any EtcdStream {
        let request = EtcdHTTPRequest(endpoint: endpoint, path: path, body: body, token: token, timeout: timeout)
        return transport(for: endpoint).stream(request, onHead: onHead, onData: onData, onEnd: onEnd)
    }

    // MARK: The attempts

    private struct Attempt: Sendable {
        var path: String
        var body: Data
        var idempotent: Bool
        /// Endpoints tried so far.
        var tried = 0
        var reauthenticated = false
    }

    private func attempt(_ attempt: Attempt, _ completion: @escaping @Sendable (Result<Data, EtcdClientError>) -> Void) {
        let (index, token) = state.withLock { ($0.current, $0.token) }
        if credentials != nil && token == nil {
            authenticate(from: index, tried: attempt.tried) { result in
                switch result {
                case .success: self.attempt(attempt, completion)
                case .failure(let error): completion(.failure(error))
                }
            }
            return
        }
        let endpoint = endpoints[index]
        let request = EtcdHTTPRequest(endpoint: endpoint, path: attempt.path, body: attempt.body, token: token, timeout: timeout)
        transport(for: endpoint).post(request) { answer in
            switch EtcdClient.classify(answer, endpoint: endpoint) {
            case .success(let body):
                completion(.success(body))
            case .failure(let failure):
                var next = attempt
                if failure.isInvalidToken, self.credentials != nil, !attempt.reauthenticated {
                    self.invalidate(token: token)
                    next.reauthenticated = true
                    self.attempt(next, completion)
                    return
                }
                let retry: Bool
                switch failure {
                case .unreachable, .tls: retry = true
                case .outcomeUnknown: retry = attempt.idempotent
                case .refused: retry = failure.isUnavailable && attempt.idempotent
                case .malformed: retry = false
                }
                next.tried += 1
                guard retry, next.tried < self.endpoints.count else {
                    completion(.failure(failure))
                    return
                }
                self.failed(endpoint)
                self.attempt(next, completion)
            }
        }
    }

    /// Exchanges the credentials for a token at the endpoint `index` (or the next ones).
    private func authenticate(from index: Int, tried: Int, completion: @escaping @Sendable (Result<(index: Int, token: String), EtcdClientError>) -> Void) {
        guard let credentials else { return completion(.failure(.malformed("no credentials to authenticate with"))) }
        let body: Data
        do throws(EtcdClientError) { body = try EtcdClient.encode(EtcdAuthenticateRequest(name: credentials.user, password: credentials.password)) } catch {
            return completion(.failure(error))
        }
        let endpoint = endpoints[index]
        let request = EtcdHTTPRequest(endpoint: endpoint, path: "/v3/auth/authenticate", body: body, token: nil, timeout: timeout)
        transport(for: endpoint).post(request) { answer in
            switch EtcdClient.classify(answer, endpoint: endpoint) {
            case .success(let body):
                do throws(EtcdClientError) {
                    let token = try EtcdClient.decode(EtcdAuthenticateResponse.self, from: body).token
                    self.state.withLock { $0.token = token }
                    completion(.success((index, token)))
                } catch {
                    completion(.failure(error))
                }
            case .failure(let failure):
                let retry: Bool
                switch failure {
                case .unreachable, .outcomeUnknown, .tls: retry = true
                case .refused: retry = failure.isUnavailable
                case .malformed: retry = false
                }
                guard retry, tried + 1 < self.endpoints.count else { return completion(.failure(failure)) }
                self.failed(endpoint)
                self.authenticate(from: (index + 1) % self.endpoints.count, tried: tried + 1, completion: completion)
            }
        }
    }

    /// Sorts what the transport gave into a 200 body or a failure.
    static func classify(_ answer: Result<EtcdHTTPResponse, EtcdClientError>, endpoint: EtcdEndpoint) -> Result<Data, EtcdClientError> {
        let response: EtcdHTTPResponse
        switch answer {
        case .success(let got): response = got
        case .failure(let failure): return .failure(failure)
        }
        if response.status == 200 { return .success(response.body) }
        if let refusal = try? JSONDecoder().decode(EtcdErrorBody.self, from: response.body), !refusal.message.isEmpty {
            return .failure(.refused(code: refusal.code, message: refusal.message, status: response.status))
        }
        let text = String(decoding: response.body.prefix(200), as: UTF8.self)
        return .failure(.refused(code: 0, message: "\(endpoint) answered HTTP \(response.status): \(text)", status: response.status))
    }

    static func encode<Request: Encodable>(_ request: Request) throws(EtcdClientError) -> Data {
        do { return try JSONEncoder().encode(request) } catch {
            throw .malformed("cannot encode \(Request.self): \(error)")
        }
    }

    static func decode<Response: Decodable>(_ type: Response.Type, from body: Data) throws(EtcdClientError) -> Response {
        do { return try JSONDecoder().decode(Response.self, from: body) } catch {
            throw .malformed("\(Response.self): \(error); body starts \(String(decoding: body.prefix(200), as: UTF8.self))")
        }
    }
}
