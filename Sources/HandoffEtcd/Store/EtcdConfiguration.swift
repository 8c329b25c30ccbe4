import FoundationEssentials
import Handoff
import HandoffSystem

/// How an ``EtcdStore`` reaches etcd and lays out its keys. Every property but the endpoints has
/// a default.
///
/// ```swift
/// var configuration = EtcdConfiguration(endpoints: ["http://10.0.0.1:2379", "http://10.0.0.2:2379"])
/// configuration.credentials = EtcdCredentials(user: "sessiond", password: secret)
/// let store = try EtcdStore(configuration: configuration)
/// ```
public struct EtcdConfiguration: Sendable {
    /// The cluster's client URLs (`http://host:port` or `https://host:port`; a bare `host:port`
    /// means `http`). Requests go to one at a time; on a connection error, to the next.
    /// `https` endpoints are checked as ``tls`` says.
    public var endpoints: [String]
    /// How `https` endpoints are verified, and the client certificate to show them.
    public var tls = EtcdTLSConfiguration()
    /// Where the store's keys live; every key starts with it. See <doc:EtcdKeyLayout>.
    public var keyPrefix: String = "/handoff"
    /// How long an offer made with no TTL of its own stays claimable; `nil` for no limit.
    public var offerTTL: Duration?
    /// The TTL of the lease under which this process's claims are held. It is kept alive (every
    /// third of it) while a claim is held; a claimer that dies loses its claims within it, and
    /// the offers are delivered again. etcd rounds it up to whole seconds, and to its own minimum
    /// (1.5 election timeouts: 2 s with the default settings).
    public var claimTTL: Duration = .seconds(10)
    /// How long one request may go without an answer.
    public var requestTimeout: Duration = .seconds(5)
    /// The user and password, for a cluster with authentication enabled; `nil` for none.
    public var credentials: EtcdCredentials?
    /// The largest envelope offered, in bytes; larger ones are refused at offer time. etcd keeps
    /// its whole key space in memory-mapped storage (2 GiB by default), so state belongs there
    /// only in moderate amounts.
    public var maxStateSize: Int = 64 << 20
    /// How long a broken watch waits before it connects again.
    public var reconnectDelay: Duration = .milliseconds(250)

    /// Creates a configuration for a cluster.
    /// - Parameter endpoints: The cluster's client URLs.
    public init(endpoints: [String]) {
        self.endpoints = endpoints
    }

    /// Parses a store URL: `etcd://host:port[,host:port…][/prefix]`, or `etcds://` for `https`.
    /// A `user:password@` in front of the first host gives the credentials.
    ///
    /// `etcd://127.0.0.1:2379,127.0.0.1:22379/apps/sessiond` has two endpoints and the key
    /// prefix `/apps/sessiond`; without a path the prefix is `/handoff`.
    /// - Parameter url: The URL.
    /// - Throws: `HandoffError` with `invalidArgument`, saying what is
    ///   wrong with it.
    public init(parsing url: String) throws {
        let scheme: String
        var rest: Substring
        if url.hasPrefix("etcd://") {
            scheme = "http"
            rest = url.dropFirst("etcd://".count)
        } else if url.hasPrefix("etcds://") {
            scheme = "https"
            rest = url.dropFirst("etcds://".count)
        } else {
            throw HandoffError(.invalidArgument, "\"\(url)\" is not an etcd URL: it must start with etcd:// or etcds://")
        }
        var prefix = "/handoff"
        if let slash = rest.firstIndex(of: "/") {
            prefix = String(rest[slash...])
            rest = rest[..<slash]
        }
        var credentials: EtcdCredentials?
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            guard let colon = userInfo.firstIndex(of: ":") else {
                throw HandoffError(.invalidArgument, "\"\(url)\": credentials must be user:password@")
            }
            credentials = EtcdCredentials(user: String(userInfo[..<colon]), password: String(userInfo[userInfo.index(after: colon)...]))
            rest = rest[rest.index(after: at)...]
        }
        let hosts = rest.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard !hosts.isEmpty, hosts.allSatisfy({ !$0.isEmpty }) else {
            throw HandoffError(.invalidArgument, "\"\(url)\" names no endpoint (or an empty one)")
        }
        self.init(endpoints: hosts.map { "\(scheme)://\($0)" })
        self.keyPrefix = prefix
        self.credentials = credentials
        _ = try resolvedEndpoints()
    }

    /// The endpoints, parsed and checked.
    func resolvedEndpoints() throws(HandoffError) -> [EtcdEndpoint] {
        guard !endpoints.isEmpty else { throw HandoffError(.invalidArgument, "an etcd store needs at least one endpoint") }
        return try endpoints.map { (text) throws(HandoffError) -> EtcdEndpoint in
            let full = text.contains("://") ? text : "http://\(text)"
            guard let url = URL(string: full), let endpoint = EtcdEndpoint(url) else {
                throw HandoffError(.invalidArgument, "\"\(text)\" is not an etcd endpoint: give http://host:port or https://host:port")
            }
            return endpoint
        }
    }

    /// Checks every value; returns the endpoints.
    func validated() throws(HandoffError) -> [EtcdEndpoint] {
        let urls = try resolvedEndpoints()
        guard claimTTL >= .seconds(1) else { throw HandoffError(.invalidArgument, "the claim TTL must be at least 1 s; it is \(claimTTL)") }
        if let offerTTL, offerTTL <= .zero { throw HandoffError(.invalidArgument, "the offer TTL must be positive; it is \(offerTTL)") }
        guard requestTimeout > .zero else { throw HandoffError(.invalidArgument, "the request timeout must be positive; it is \(requestTimeout)") }
        guard maxStateSize > 0 else { throw HandoffError(.invalidArgument, "the largest state must be positive; it is \(maxStateSize)") }
        return urls
    }
}

/// A user and password for an etcd cluster with authentication enabled.
///
/// They are exchanged for a token (`/v3/auth/authenticate`), sent as `Authorization: <token>`
/// (no `Bearer`), and exchanged again when etcd says the token is no longer valid.
public struct EtcdCredentials: Sendable, Hashable {
    /// The etcd user.
    public var user: String
    /// Its password.
    public var password: String

    /// Creates credentials.
    /// - Parameters:
    ///   - user: The etcd user.
    ///   - password: Its password.
    public init(user: String, password: String) {
        self.user = user
        self.password = password
    }
}

extension Duration {
    /// Whole seconds, rounded up, at least 1: what etcd's lease TTLs take.
    var wholeSecondsRoundedUp: Int64 {
        let (seconds, attoseconds) = components
        return max(1, attoseconds > 0 ? seconds + 1 : seconds)
    }

    /// Seconds as a `Double`, for `URLRequest` timeouts.
    var secondsValue: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
