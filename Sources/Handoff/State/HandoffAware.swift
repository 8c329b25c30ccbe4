import HandoffSystem
/// A type whose state survives the death or replacement of its process.
///
/// The dying process asks each registered instance for ``handoffState()``; whichever process
/// claims it next — the successor of an upgrade, or the next start on this host through a
/// ``HandoffStore`` — gets it exactly once through ``resume(from:)``.
///
/// Two verbs read the state, and they mean different things:
/// - ``handoffSnapshot()`` copies it while the instance goes on as before: periodic checkpoints
///   (systemd's file descriptor store, crash-durable checkpoints in a store) call it, as often
///   as every few seconds.
/// - ``handoffState()`` gives it up for good: the process is being replaced or stops. An
///   instance may stop changing its state from there on (a mailbox stops delivering), until
///   ``handoffAbandoned()`` says the state stayed here after all.
///
/// A type whose state can be combined with another process's adopts ``HandoffMergeable`` too,
/// and takes over state offered while it runs (a rolling deploy).
///
/// ```swift
/// final class Counter: HandoffAware {
///     struct State: Codable, Sendable { var count: Int }
///     static let handoffLabel = "counter"
///     static let handoffVersion = 2
///     private let count = Mutex(0)
///     func handoffState() async throws -> State { State(count: count.withLock { $0 }) }
///     func resume(from state: State) async throws { count.withLock { $0 = state.count } }
///     static func migrate(_ old: HandoffPayload, fromVersion: Int) throws -> State {
///         State(count: try old.decode(CounterV1.self).value)   // version 1 stored `value`
///     }
/// }
/// try upgrader.state.register(counter)
/// ```
public protocol HandoffAware: AnyObject, Sendable {
    /// The shape of the state today.
    associatedtype State: Codable & Sendable

    /// The stable name of this kind of state.
    static var handoffLabel: String { get }
    /// The version of ``State``'s shape; raise it when the shape changes.
    static var handoffVersion: Int { get }
    /// The oldest reader version that can decode state written today (default:
    /// ``handoffVersion``). Lower it when a change only adds what older readers ignore.
    static var handoffOldestReaderVersion: Int { get }
    /// How the state is encoded (default: the binary codec).
    static var handoffCodec: HandoffCodec { get }
    /// Which instance this is, when there are several of one kind (default: `""`).
    var handoffKey: String { get }

    /// Gives up the state, in the dying process, after the application has drained.
    func handoffState() async throws -> State
    /// A copy of the state, taken while the instance carries on unchanged: for checkpoints.
    ///
    /// Default: ``handoffState()`` followed by ``handoffAbandoned()``, which is right for a
    /// type whose ``handoffState()`` disturbs nothing (most) and safe for one that does.
    /// Override it when giving up the state stops something (a mailbox stops delivering), so a
    /// checkpoint does not pause it.
    func handoffSnapshot() async throws -> State
    /// Takes the state over, in the process that claimed it.
    func resume(from state: State) async throws
    /// Called when the state given up through ``handoffState()`` was not taken after all — the
    /// upgrade rolled back, or a stop could not offer it to the store — so this instance owns
    /// it again and carries on. Default: nothing.
    func handoffAbandoned() async
    /// Turns state written in an older version into today's ``State``.
    ///
    /// Decode the old shape from `old` and convert it step by step (1→2→3).
    /// - Throws: Any error refuses the state; it stays where it was.
    static func migrate(_ old: HandoffPayload, fromVersion: Int) throws -> State
}

extension HandoffAware {
    public static var handoffOldestReaderVersion: Int { handoffVersion }
    public static var handoffCodec: HandoffCodec { .binary }
    public var handoffKey: String { "" }
    /// Does nothing.
    public func handoffAbandoned() async {}

    /// ``handoffState()``, then ``handoffAbandoned()``: the instance owns its state again.
    public func handoffSnapshot() async throws -> State {
        let state = try await handoffState()
        await handoffAbandoned()
        return state
    }

    /// Refuses every older version: override to migrate.
    public static func migrate(_ old: HandoffPayload, fromVersion: Int) throws -> State {
        throw HandoffError(.migrationFailed, "\(handoffLabel) has no migration from version \(fromVersion) to \(handoffVersion)")
    }
}

/// State written in an older version, handed to ``HandoffAware/migrate(_:fromVersion:)``.
public struct HandoffPayload: Sendable {
    /// The version the state was written in.
    public let version: Int
    /// How it is encoded.
    public let codec: HandoffCodec
    /// The encoded bytes.
    public let bytes: [UInt8]

    /// Wraps encoded state, for an application that decodes state it claimed by hand (see
    /// ``HandoffRegistry/decode(_:from:)``) or tests its migrations.
    /// - Parameters:
    ///   - version: The version the state was written in.
    ///   - codec: How it is encoded.
    ///   - bytes: The encoded bytes.
    public init(version: Int, codec: HandoffCodec, bytes: [UInt8]) {
        self.version = version
        self.codec = codec
        self.bytes = bytes
    }

    /// Decodes the payload as one of the old shapes.
    /// - Throws: ``HandoffError/Code/codingFailed`` if it is not that shape.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try StateCodec.decode(type, from: bytes, codec: codec)
    }
}
