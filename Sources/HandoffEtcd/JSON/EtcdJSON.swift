import FoundationEssentials
import HandoffSystem

// The shapes common to every etcd v3 JSON gateway message.
//
// The gateway writes protobuf messages as JSON with two habits a plain `Codable` model trips
// over: it leaves out every field that holds its default (`false`, `0`, an empty list, the
// first enum case), and it writes 64-bit integers as strings (`"revision":"42"`). Keys and values
// are base64 (`Data`'s default `Codable` form). The decoders here take absent as the default,
// take an integer as a string or a number, and ignore fields they do not know.

/// A 64-bit integer as the gateway writes it: a JSON string (`"42"`), or a number.
struct EtcdInt64: Codable, Sendable, Hashable {
    var value: Int64

    init(_ value: Int64) { self.value = value }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            guard let value = Int64(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "\"\(text)\" is not a 64-bit integer")
            }
            self.value = value
        } else {
            value = try container.decode(Int64.self)
        }
    }

    /// Written as a string, protobuf's canonical JSON for 64-bit integers: a number above 2^53
    /// would lose digits in some JSON readers.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(String(value))
    }
}

extension KeyedDecodingContainer {
    /// A 64-bit integer field, 0 when left out.
    func etcdInt(_ key: Key) throws -> Int64 {
        try decodeIfPresent(EtcdInt64.self, forKey: key)?.value ?? 0
    }

    /// A boolean field, `false` when left out.
    func etcdBool(_ key: Key) throws -> Bool {
        try decodeIfPresent(Bool.self, forKey: key) ?? false
    }

    /// A bytes field (base64), empty when left out.
    func etcdBytes(_ key: Key) throws -> Data {
        try decodeIfPresent(Data.self, forKey: key) ?? Data()
    }
}

/// `etcdserverpb.ResponseHeader`: only the revision is used.
struct EtcdResponseHeader: Decodable, Sendable {
    var revision: Int64

    init(revision: Int64 = 0) { self.revision = revision }

    enum CodingKeys: String, CodingKey { case revision }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        revision = try container.etcdInt(.revision)
    }
}

/// `mvccpb.KeyValue`: a key, its value and its revisions.
struct EtcdKeyValue: Decodable, Sendable {
    var key: Data
    var value: Data
    /// The revision that created the key; 0 for a key that does not exist.
    var createRevision: Int64
    /// The revision that last changed it.
    var modRevision: Int64
    /// How many times it was written since it was created.
    var version: Int64
    /// The lease it is attached to, 0 for none.
    var lease: Int64

    enum CodingKeys: String, CodingKey {
        case key, value, version, lease
        case createRevision = "create_revision"
        case modRevision = "mod_revision"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        key = try container.etcdBytes(.key)
        value = try container.etcdBytes(.value)
        createRevision = try container.etcdInt(.createRevision)
        modRevision = try container.etcdInt(.modRevision)
        version = try container.etcdInt(.version)
        lease = try container.etcdInt(.lease)
    }
}

/// The body of a refused request: `{"error": "...", "message": "...", "code": 3}`, where `code`
/// is the gRPC status code.
struct EtcdErrorBody: Decodable, Sendable {
    var message: String
    var code: Int

    enum CodingKeys: String, CodingKey { case error, message, code }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let message = try container.decodeIfPresent(String.self, forKey: .message)
        let error = try container.decodeIfPresent(String.self, forKey: .error)
        self.message = message ?? error ?? ""
        code = try container.decodeIfPresent(Int.self, forKey: .code) ?? 0
    }
}

/// The error a streaming endpoint (`/v3/watch`, `/v3/lease/keepalive`) sends in place of a
/// result: `{"error": {"grpc_code": 16, "http_code": 401, "message": "..."}}`.
struct EtcdStreamError: Decodable, Sendable {
    var message: String
    var code: Int

    enum CodingKeys: String, CodingKey {
        case message
        case code = "grpc_code"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        message = try container.decodeIfPresent(String.self, forKey: .message) ?? ""
        code = try container.decodeIfPresent(Int.self, forKey: .code) ?? 0
    }
}

/// One message of a streaming endpoint: a result or an error.
struct EtcdStreamMessage<Result: Decodable & Sendable>: Decodable, Sendable {
    var result: Result?
    var error: EtcdStreamError?
}

/// `/v3/auth/authenticate`.
struct EtcdAuthenticateRequest: Encodable, Sendable {
    var name: String
    var password: String
}

/// The answer to `/v3/auth/authenticate`.
struct EtcdAuthenticateResponse: Decodable, Sendable {
    var token: String
}
