import FoundationEssentials
import Handoff
import Synchronization
import HandoffSystem

/// A `HandoffStore` in an etcd cluster, so that state a process gives up on one node
/// can be claimed by a process on another.
///
/// ```swift
/// let store = try EtcdStore(configuration: EtcdConfiguration(parsing: "etcd://10.0.0.1:2379,10.0.0.2:2379"))
/// var configuration = UpgraderConfiguration()
/// configuration.store = store
/// ```
///
/// It speaks etcd's v3 JSON gateway, with no client package. The keys, the transactions, the
/// size limits and the transport are described in <doc:EtcdKeyLayout>. In short:
/// - **Offer**: a transaction that creates `<prefix>/offers/<label>/<key>` if it does not
///   exist (`create_revision == 0`), and otherwise a later offer key
///   `<prefix>/offers/<label>/<key>/<slot>` beside it, under a lease of the offer's TTL: an
///   unclaimed offer never refuses the next. State over 1 MiB is written as chunks first, and
///   the offer key, which names them, last. Claims take the oldest (`create_revision`) first.
/// - **Claim** reads the offer (its header is readable without taking it, so a reader that
///   cannot read its version leaves it), then takes it with a transaction that holds only if
///   the offer is unchanged (`mod_revision`) and unclaimed: it writes the claim key under this
///   store's own lease, kept alive while the claim is held, and reads the chunks.
/// - **Commit** deletes the offer, its claim and its chunks in one transaction that holds only
///   if the claim key still holds this claim's token; **release** deletes the claim the same
///   way. A claimer that dies loses its lease and with it its claim, so the offer is delivered
///   again; its late commit fails with `claimLost`.
/// - **Notifications** (``offers(label:)``) watch the label's keys with `/v3/watch`.
public final class EtcdStore: HandoffStore {
    /// The configuration it was made with.
    public let configuration: EtcdConfiguration
    let client: EtcdClient
    let layout: EtcdLayout
    let lease: EtcdClaimLease
    /// Names this process's checkpoints and its owner key (EtcdStore+Checkpoint.swift).
    let ownerID = EtcdStore.newOfferID()
    /// The lease the owner key lives under, kept alive from the first checkpoint on.
    let ownerLease: EtcdClaimLease
    let ownerLeaseID = Mutex<Int64?>(nil)

    /// How many times a claim looks again after losing a race before it answers "nothing".
    static let claimAttempts = 4

    /// Makes a store; nothing is sent to etcd until it is used.
    /// - Parameter configuration: The endpoints, credentials, prefix and TTLs.
    /// - Throws: `HandoffError` with `invalidArgument` for
    ///   an endpoint that is not an `http` or `https` URL, or a TTL or size that is not positive;
    ///   with an `https` endpoint, `tlsUnavailable` if the system's OpenSSL 3 cannot be loaded,
    ///   `invalidConfiguration` for a CA, certificate or key file that cannot be used.
    public init(configuration: EtcdConfiguration) throws {
        let endpoints = try configuration.validated()
        self.configuration = configuration
        client = try EtcdClient(endpoints: endpoints, credentials: configuration.credentials, timeout: configuration.requestTimeout, tls: configuration.tls)
        layout = EtcdLayout(prefix: configuration.keyPrefix)
        lease = EtcdClaimLease(client: client, ttl: configuration.claimTTL)
        ownerLease = EtcdClaimLease(client: client, ttl: configuration.claimTTL)
    }

    // MARK: HandoffStore

    /// Offers an envelope under its label and key; see `HandoffStore.offer(_:ttl:)`.
    /// - Parameters:
    ///   - envelope: The state.
    ///   - ttl: How long the offer stays claimable (positive); `nil` for
    ///     ``EtcdConfiguration/offerTTL``.
    /// - Throws: `HandoffError`: `envelopeTooLarge` for state
    ///   over ``EtcdConfiguration/maxStateSize``, `invalidArgument`
    ///   for a label and key too long to fit a request (both before anything is sent);
    ///   `storeUnreachable` if no endpoint answers;
    ///   `accessDenied` for missing or refused credentials. A failed
    ///   offer leaves nothing behind.
    public func offer(_ envelope: Envelope, ttl: Duration?) async throws {
        try await offerNow(envelope, ttl: ttl)
    }

    /// Claims the offer for `label` and `key`; see
    /// `HandoffStore.claim(label:key:readerVersion:)`.
    /// - Parameters:
    ///   - label: The kind of state.
    ///   - key: The instance.
    ///   - readerVersion: The newest state version the claimer understands.
    /// - Returns: The claim; `nil` if nothing is offered or a live claimer holds it.
    /// - Throws: `newerVersion` or an envelope error, leaving the
    ///   offer in place; `storeUnreachable` or
    ///   `accessDenied`.
    public func claim(label: String, key: String, readerVersion: Int) async throws -> HandoffClaim? {
        try await claimNow(label: label, key: key, readerVersion: readerVersion)
    }

    /// Removes a claimed offer, its claim and its chunks, in one transaction.
    /// - Parameter claim: A claim this store made.
    /// - Throws: `claimLost` if the claim is no longer held (its lease
    ///   expired, it was released or committed); `invalidArgument`
    ///   for a claim another store made; `storeUnreachable`.
    public func commit(_ claim: HandoffClaim) async throws {
        if claim.token.hasPrefix(EtcdStore.checkpointTokenPrefix) { return try await finishCheckpoint(claim, committing: true) }
        try await finish(claim, committing: true)
    }

    /// Gives a claimed offer back: deletes the claim key, so the offer can be claimed again.
    /// - Parameter claim: A claim this store made.
    /// - Throws: As ``commit(_:)``.
    public func release(_ claim: HandoffClaim) async throws {
        if claim.token.hasPrefix(EtcdStore.checkpointTokenPrefix) { return try await finishCheckpoint(claim, committing: false) }
        try await finish(claim, committing: false)
    }

    /// The headers of offers for `label` from now on, released ones and those of dead claimers
    /// included: a watch on the label's keys (`/v3/watch`), read as it streams, that connects
    /// again after a failure and resumes after the last revision it saw. Ending the stream
    /// closes the watch.
    /// - Parameter label: The kind of state.
    public func offers(label: String) -> AsyncStream<EnvelopeHeader> {
        EtcdWatch.stream(client: client, layout: layout, label: label, reconnectDelay: configuration.reconnectDelay)
    }

    /// "sessions/eu-1", for messages.
    static func what(_ label: String, _ key: String) -> String { "\(label)/\(key)" }
}
