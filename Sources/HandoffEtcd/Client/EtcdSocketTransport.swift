import Dispatch
import FoundationEssentials
import Synchronization
import HandoffSystem

/// The transport for `http` and `https` endpoints: HTTP/1.1 over kept-alive TCP connections (TLS
/// for `https`, see ``EtcdTLSContext``), a pool of idle ones per endpoint.
///
/// Each request runs on a serial dispatch queue of its own (such queues get a thread when they
/// need one, so requests that wait on the network do not hold each other up), with blocking
/// calls bounded by the request timeout: never on the cooperative pool. A request sent on a
/// kept-alive connection that turns out to have been closed by the server before any answer is
/// sent again on a new connection, as HTTP clients do; any other failure after sending is
/// reported as an unknown outcome.
final class EtcdSocketTransport: EtcdTransport {
    private let idle = Mutex<[EtcdEndpoint: [EtcdHTTPConnection]]>([:])
    /// Idle connections kept per endpoint; more are closed.
    static let maxIdle = 16
    /// The TLS context for `https` endpoints; `nil` when there are none.
    let tls: EtcdTLSContext?

    init(tls: EtcdTLSContext? = nil) {
        self.tls = tls
    }

    func post(_ request: EtcdHTTPRequest, completion: @escaping @Sendable (Result<EtcdHTTPResponse, EtcdClientError>) -> Void) {
        DispatchQueue(label: "handoff.etcd.request").async {
            completion(self.perform(request))
        }
    }

    private func perform(_ request: EtcdHTTPRequest) -> Result<EtcdHTTPResponse, EtcdClientError> {
        while let connection = takeIdle(request.endpoint) {
            do {
                try connection.setTimeout(request.timeout)
                return .success(finish(connection, try connection.exchange(request)))
            } catch {
                switch error {
                case .stale: continue  // closed while idle: try another
                case .broken(let reason): return .failure(.outcomeUnknown(reason))
                case .tls(let refusal): return .failure(.tls(refusal))
                }
            }
        }
        let connection: EtcdHTTPConnection
        do { connection = try EtcdHTTPConnection.connect(to: request.endpoint, timeout: request.timeout, tls: tls) } catch {
            return .failure(error)
        }
        do {
            return .success(finish(connection, try connection.exchange(request)))
        } catch {
            switch error {
            case .stale(let reason), .broken(let reason): return .failure(.outcomeUnknown(reason))
            case .tls(let refusal): return .failure(.tls(refusal))
            }
        }
    }

    /// Puts the connection back in the pool if it can serve another request.
    private func finish(_ connection: EtcdHTTPConnection, _ response: EtcdHTTPResponse) -> EtcdHTTPResponse {
        guard connection.reusable else { return response }
        idle.withLock { pool in
            if pool[connection.endpoint, default: []].count < EtcdSocketTransport.maxIdle {
                pool[connection.endpoint, default: []].append(connection)
            }
        }
        return response
    }

    private func takeIdle(_ endpoint: EtcdEndpoint) -> EtcdHTTPConnection? {
        idle.withLock { $0[endpoint]?.popLast() }
    }

    func stream(_ request: EtcdHTTPRequest,
                onHead: @escaping @Sendable (Int) -> Void,
                onData: @escaping @Sendable (Data) -> Void,
                onEnd: @escaping @Sendable (EtcdClientError?) -> Void) -> any EtcdStream {
        let stream = SocketStream()
        let tls = tls
        // A queue of its own gets a thread of its own for as long as the watch blocks in it.
        DispatchQueue(label: "handoff.etcd.watch").async {
            let failure = stream.run(request, tls: tls, onHead: onHead, onData: onData)
            if !stream.isCancelled { onEnd(failure) }
        }
        return stream
    }
}

/// A streaming request on a connection of its own, read on a dedicated thread until it ends or
/// is cancelled (which shuts the socket down, waking the blocked read).
private final class SocketStream: EtcdStream {
    private struct State {
        var connection: EtcdHTTPConnection?
        var cancelled = false
    }
    private let state = Mutex(State())

    var isCancelled: Bool { state.withLock { $0.cancelled } }

    func cancel() {
        let connection = state.withLock { state -> EtcdHTTPConnection? in
            state.cancelled = true
            return state.connection
        }
        connection?.interrupt()
    }

    /// Connects, sends, and reads; returns the failure that ended it, if any.
    func run(_ request: EtcdHTTPRequest, tls: EtcdTLSContext?, onHead: (Int) -> Void, onData: (Data) -> Void) -> EtcdClientError? {
        let connection: EtcdHTTPConnection
        do { connection = try EtcdHTTPConnection.connect(to: request.endpoint, timeout: .seconds(5), tls: tls) } catch {
            return error
        }
        let proceed = state.withLock { state -> Bool in
            state.connection = connection
            return !state.cancelled
        }
        guard proceed else { return nil }
        do {
            try connection.setTimeout(request.timeout)
            try connection.send(request)
            let head = try connection.readHead()
            onHead(head.status)
            try connection.readBody(head) { onData(Data($0)) }
            return nil
        } catch {
            switch error {
            case .stale(let reason), .broken(let reason): return .outcomeUnknown(reason)
            case .tls(let refusal): return .tls(refusal)
            }
        }
    }
}
