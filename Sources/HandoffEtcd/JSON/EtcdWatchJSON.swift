import FoundationEssentials
import HandoffSystem

// `/v3/watch`: the request that opens a watcher, and the messages that stream back, one JSON
// object per line.

/// `{"create_request": {...}}`: watch every key in `[key, rangeEnd)` from `startRevision` on
/// (0: from now), with progress notifications (an empty response every 10 minutes by default),
/// so an idle watch still hears from the server.
struct EtcdWatchCreateRequest: Encodable, Sendable {
    var key: Data
    var rangeEnd: Data
    var startRevision: Int64

    private struct Create: Encodable {
        var key: Data
        var rangeEnd: Data
        var startRevision: EtcdInt64?
        var progressNotify = true
        enum CodingKeys: String, CodingKey {
            case key
            case rangeEnd = "range_end"
            case startRevision = "start_revision"
            case progressNotify = "progress_notify"
        }
    }

    enum CodingKeys: String, CodingKey { case create = "create_request" }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        let create = Create(key: key, rangeEnd: rangeEnd, startRevision: startRevision > 0 ? EtcdInt64(startRevision) : nil)
        try container.encode(create, forKey: .create)
    }
}

/// `etcdserverpb.WatchResponse`.
struct EtcdWatchResponse: Decodable, Sendable {
    var header: EtcdResponseHeader
    var created: Bool
    var canceled: Bool
    var cancelReason: String
    /// Set when the revision asked for was compacted away: the oldest one still kept.
    var compactRevision: Int64
    var events: [EtcdEvent]

    enum CodingKeys: String, CodingKey {
        case header, created, canceled, events
        case cancelReason = "cancel_reason"
        case compactRevision = "compact_revision"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        header = try container.decodeIfPresent(EtcdResponseHeader.self, forKey: .header) ?? EtcdResponseHeader()
        created = try container.etcdBool(.created)
        canceled = try container.etcdBool(.canceled)
        cancelReason = try container.decodeIfPresent(String.self, forKey: .cancelReason) ?? ""
        compactRevision = try container.etcdInt(.compactRevision)
        events = try container.decodeIfPresent([EtcdEvent].self, forKey: .events) ?? []
    }
}

/// `mvccpb.Event`. `PUT` is the enum's first case, so the gateway leaves `type` out for it.
struct EtcdEvent: Decodable, Sendable {
    var isDelete: Bool
    var kv: EtcdKeyValue?

    enum CodingKeys: String, CodingKey { case type, kv }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        // Either the name or the number, depending on the gateway's settings.
        if let name = try? container.decodeIfPresent(String.self, forKey: .type) {
            isDelete = name == "DELETE"
        } else {
            isDelete = (try? container.decodeIfPresent(Int.self, forKey: .type)) == 1
        }
        kv = try container.decodeIfPresent(EtcdKeyValue.self, forKey: .kv)
    }
}
