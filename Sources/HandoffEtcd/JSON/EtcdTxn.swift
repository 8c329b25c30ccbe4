import FoundationEssentials
import HandoffSystem

// `/v3/kv/range` and `/v3/kv/txn`: the requests this package sends and the answers it reads.

/// `etcdserverpb.RangeRequest`: one key, or every key in `[key, rangeEnd)`.
struct EtcdRangeRequest: Encodable, Sendable {
    var key: Data
    var rangeEnd: Data?
    var keysOnly = false
    var countOnly = false

    enum CodingKeys: String, CodingKey {
        case key
        case rangeEnd = "range_end"
        case keysOnly = "keys_only"
        case countOnly = "count_only"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(key, forKey: .key)
        try container.encodeIfPresent(rangeEnd, forKey: .rangeEnd)
        if keysOnly { try container.encode(true, forKey: .keysOnly) }
        if countOnly { try container.encode(true, forKey: .countOnly) }
    }
}

/// `etcdserverpb.PutRequest`.
struct EtcdPutRequest: Encodable, Sendable {
    var key: Data
    var value: Data
    /// 0 for none.
    var lease: Int64 = 0

    enum CodingKeys: String, CodingKey { case key, value, lease }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(key, forKey: .key)
        try container.encode(value, forKey: .value)
        if lease != 0 { try container.encode(EtcdInt64(lease), forKey: .lease) }
    }
}

/// `etcdserverpb.DeleteRangeRequest`.
struct EtcdDeleteRequest: Encodable, Sendable {
    var key: Data
    var rangeEnd: Data?

    enum CodingKeys: String, CodingKey {
        case key
        case rangeEnd = "range_end"
    }
}

/// `etcdserverpb.RequestOp`: one operation of a transaction.
enum EtcdOperation: Encodable, Sendable {
    case range(EtcdRangeRequest)
    case put(EtcdPutRequest)
    case delete(EtcdDeleteRequest)

    enum CodingKeys: String, CodingKey {
        case range = "request_range"
        case put = "request_put"
        case delete = "request_delete_range"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .range(let request): try container.encode(request, forKey: .range)
        case .put(let request): try container.encode(request, forKey: .put)
        case .delete(let request): try container.encode(request, forKey: .delete)
        }
    }
}

/// `etcdserverpb.Compare`: a condition on one key.
struct EtcdCompare: Encodable, Sendable {
    enum Target: Sendable {
        /// The key's create revision (0: the key does not exist).
        case createRevision(Int64)
        case modRevision(Int64)
        case value(Data)
    }

    enum Relation: String, Sendable {
        case equal = "EQUAL", greater = "GREATER", less = "LESS", notEqual = "NOT_EQUAL"
    }

    var key: Data
    var relation: Relation
    var target: Target

    enum CodingKeys: String, CodingKey {
        case key, result, target, value
        case createRevision = "create_revision"
        case modRevision = "mod_revision"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(key, forKey: .key)
        try container.encode(relation.rawValue, forKey: .result)
        switch target {
        case .createRevision(let revision):
            try container.encode("CREATE", forKey: .target)
            try container.encode(EtcdInt64(revision), forKey: .createRevision)
        case .modRevision(let revision):
            try container.encode("MOD", forKey: .target)
            try container.encode(EtcdInt64(revision), forKey: .modRevision)
        case .value(let value):
            try container.encode("VALUE", forKey: .target)
            try container.encode(value, forKey: .value)
        }
    }
}

/// `etcdserverpb.TxnRequest`: if every comparison holds, `success` runs, else `failure`; all
/// of it at one revision.
struct EtcdTxnRequest: Encodable, Sendable {
    var compare: [EtcdCompare] = []
    var success: [EtcdOperation] = []
    var failure: [EtcdOperation] = []
}

/// `etcdserverpb.RangeResponse`.
struct EtcdRangeResponse: Decodable, Sendable {
    var header: EtcdResponseHeader
    var kvs: [EtcdKeyValue]
    var count: Int64

    enum CodingKeys: String, CodingKey { case header, kvs, count }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        header = try container.decodeIfPresent(EtcdResponseHeader.self, forKey: .header) ?? EtcdResponseHeader()
        kvs = try container.decodeIfPresent([EtcdKeyValue].self, forKey: .kvs) ?? []
        count = try container.etcdInt(.count)
    }
}

/// `etcdserverpb.TxnResponse`: whether the comparisons held, and the answers of the branch that
/// ran, in order. Only range answers are read.
struct EtcdTxnResponse: Decodable, Sendable {
    var header: EtcdResponseHeader
    var succeeded: Bool
    /// One per operation of the branch that ran; `nil` where it was not a range.
    var ranges: [EtcdRangeResponse?]

    private struct Answer: Decodable {
        var range: EtcdRangeResponse?
        enum CodingKeys: String, CodingKey { case range = "response_range" }
    }

    enum CodingKeys: String, CodingKey { case header, succeeded, responses }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        header = try container.decodeIfPresent(EtcdResponseHeader.self, forKey: .header) ?? EtcdResponseHeader()
        succeeded = try container.etcdBool(.succeeded)
        ranges = try (container.decodeIfPresent([Answer].self, forKey: .responses) ?? []).map(\.range)
    }

    /// The key-values of the `index`th operation's answer, if it was a range.
    func kvs(at index: Int) -> [EtcdKeyValue] {
        index < ranges.count ? ranges[index]?.kvs ?? [] : []
    }
}
