import Handoff
import HandoffServices
import HandoffSystem
/// Where and how the admin endpoint serves. Off by default; on loopback by default.
public struct AdminConfiguration: Sendable, Codable {
    /// Whether the application should run an ``AdminServer`` (it decides; the runner does not
    /// add one by itself).
    public var isEnabled: Bool = false
    /// `HOST:PORT` to listen on; loopback unless you say otherwise.
    public var address: String = "127.0.0.1:9090"
    /// The descriptor's name when the listener comes from an ``Upgrader``'s ``Descriptors``, so
    /// that every generation serves on the same socket.
    public var descriptorName: String = "admin"
    /// How long a request may take to arrive in full once its first byte came; a slower client
    /// gets 408 and is closed.
    public var requestTimeout: Duration = .seconds(10)
    /// How long a keep-alive connection may wait idle for its next request.
    public var idleTimeout: Duration = .seconds(60)
    /// The most connections served at once; more are closed as soon as they are accepted.
    public var maxConnections: Int = 1024

    /// Creates a configuration.
    /// - Parameters:
    ///   - isEnabled: Whether the admin endpoint runs.
    ///   - address: `HOST:PORT` to listen on.
    public init(isEnabled: Bool = false, address: String = "127.0.0.1:9090") {
        self.isEnabled = isEnabled
        self.address = address
    }

    private enum CodingKeys: String, CodingKey {
        case isEnabled = "enabled", address, requestTimeoutMilliseconds, idleTimeoutMilliseconds, maxConnections
    }

    /// Decodes `{"enabled": true, "address": "127.0.0.1:9090", "requestTimeoutMilliseconds":
    /// 10000, "idleTimeoutMilliseconds": 60000, "maxConnections": 1024}`; every key optional.
    /// - Parameter decoder: The decoder.
    /// - Throws: A `DecodingError` for a value of the wrong type.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        isEnabled = try container.decodeIfPresent(Bool.self, forKey: .isEnabled) ?? false
        address = try container.decodeIfPresent(String.self, forKey: .address) ?? address
        if let ms = try container.decodeIfPresent(Int.self, forKey: .requestTimeoutMilliseconds) { requestTimeout = .milliseconds(ms) }
        if let ms = try container.decodeIfPresent(Int.self, forKey: .idleTimeoutMilliseconds) { idleTimeout = .milliseconds(ms) }
        maxConnections = try container.decodeIfPresent(Int.self, forKey: .maxConnections) ?? maxConnections
    }

    /// Encodes the keys ``init(from:)`` reads.
    /// - Parameter encoder: The encoder.
    /// - Throws: What the encoder throws.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(isEnabled, forKey: .isEnabled)
        try container.encode(address, forKey: .address)
        try container.encode(Self.milliseconds(requestTimeout), forKey: .requestTimeoutMilliseconds)
        try container.encode(Self.milliseconds(idleTimeout), forKey: .idleTimeoutMilliseconds)
        try container.encode(maxConnections, forKey: .maxConnections)
    }

    static func milliseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
    }
}
