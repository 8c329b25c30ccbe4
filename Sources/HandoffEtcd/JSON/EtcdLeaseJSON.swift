import HandoffSystem
// `/v3/lease/grant`, `/v3/lease/keepalive` and `/v3/lease/revoke`.

/// `etcdserverpb.LeaseGrantRequest`; the gateway names the fields `TTL` and `ID`.
struct EtcdLeaseGrantRequest: Encodable, Sendable {
    var ttlSeconds: Int64

    enum CodingKeys: String, CodingKey { case ttl = "TTL" }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(EtcdInt64(ttlSeconds), forKey: .ttl)
    }
}

/// A lease named by its ID: the keepalive and revoke requests.
struct EtcdLeaseIDRequest: Encodable, Sendable {
    var id: Int64

    enum CodingKeys: String, CodingKey { case id = "ID" }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(EtcdInt64(id), forKey: .id)
    }
}

/// The answer to a grant, and (inside `result`) to a keepalive: the lease and the seconds it
/// has left. A keepalive of a lease that no longer exists answers with no `TTL` (0).
struct EtcdLeaseResponse: Decodable, Sendable {
    var id: Int64
    var ttlSeconds: Int64
    /// A grant the server refused says why here.
    var error: String

    enum CodingKeys: String, CodingKey {
        case id = "ID"
        case ttl = "TTL"
        case error
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.etcdInt(.id)
        ttlSeconds = try container.etcdInt(.ttl)
        error = try container.decodeIfPresent(String.self, forKey: .error) ?? ""
    }
}

/// Any answer whose contents are not used (a revoke's).
struct EtcdEmptyResponse: Decodable, Sendable {}
