import FoundationEssentials
import HandoffSystem

/// One POST to the JSON gateway.
struct EtcdHTTPRequest: Sendable {
    var endpoint: EtcdEndpoint
    var path: String
    var body: Data
    /// Sent as `Authorization: <token>`.
    var token: String?
    var timeout: Duration
}

/// A gateway's answer: its status and body (trailers, which the gateway adds to errors, are
/// read and dropped).
struct EtcdHTTPResponse: Sendable {
    var status: Int
    var body: Data
}

/// An endpoint, parsed once.
struct EtcdEndpoint: Sendable, Hashable, CustomStringConvertible {
    var url: URL
    var secure: Bool
    var host: String
    var port: UInt16

    init?(_ url: URL) {
        guard let scheme = url.scheme, scheme == "http" || scheme == "https", let host = url.host, !host.isEmpty else { return nil }
        self.url = url
        secure = scheme == "https"
        // A bracketed IPv6 literal loses its brackets in `host`.
        self.host = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        port = UInt16(url.port ?? (secure ? 443 : 2379))
    }

    /// `host:port` as the `Host` header wants it.
    var authority: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    var description: String { url.absoluteString }
}

/// A streaming request in progress (a watch); ``cancel()`` ends it, after which no callback
/// comes.
protocol EtcdStream: Sendable {
    func cancel()
}

/// How requests reach the gateway: ``EtcdSocketTransport``, HTTP/1.1 over a pool of keep-alive
/// connections, TCP for `http` endpoints and TLS over TCP for `https` ones (the system's
/// OpenSSL 3, loaded with `dlopen` when the first `https` client is made), blocking I/O on
/// dispatch threads, off the cooperative pool. A protocol so tests can put another in its place.
///
/// Not `URLSession`: linking FoundationNetworking (with Foundation, ICU and libcurl) adds about
/// 10 ms to every process start and breaks `-static-stdlib` builds; it cannot present a client
/// certificate on Linux; and up to Swift 6.3 it stops the process on the HTTP trailer the etcd
/// 3.4 gateway sends with every refusal (swift-corelibs-foundation issue 5285).
protocol EtcdTransport: Sendable {
    /// Sends the request and calls `completion` once, with the answer or why there is none:
    /// ``EtcdClientError/unreachable(_:)`` if no connection could be made (nothing was sent),
    /// ``EtcdClientError/outcomeUnknown(_:)`` if it broke after the request went out.
    func post(_ request: EtcdHTTPRequest, completion: @escaping @Sendable (Result<EtcdHTTPResponse, EtcdClientError>) -> Void)

    /// Sends a streaming request: `onHead` with the status once the head arrives, `onData` with
    /// each piece of the body as it arrives, then `onEnd` once (with the failure, if any).
    func stream(_ request: EtcdHTTPRequest,
                onHead: @escaping @Sendable (Int) -> Void,
                onData: @escaping @Sendable (Data) -> Void,
                onEnd: @escaping @Sendable (EtcdClientError?) -> Void) -> any EtcdStream
}
