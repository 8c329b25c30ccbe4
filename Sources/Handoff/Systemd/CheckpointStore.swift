import Synchronization
import HandoffSystem

/// The store a start after a crash restores from: the state checkpoint systemd kept in its
/// file descriptor store first, then the configured store.
///
/// A checkpoint envelope is claimed, committed and released like an offer (once committed it
/// is gone); everything else — offers, the other labels, the notifications — is the fallback's.
final class CheckpointStore: HandoffStore {
    private let fallback: any HandoffStore
    /// The checkpoint's envelopes by label and key, until committed.
    private let pending: Mutex<[String: Envelope]>
    private static let tokenPrefix = "fd-store-checkpoint:"

    init(envelopes: [Envelope], fallback: any HandoffStore) {
        self.fallback = fallback
        var byKey: [String: Envelope] = [:]
        for envelope in envelopes { byKey[Self.key(envelope.header.label, envelope.header.key)] = envelope }
        self.pending = Mutex(byKey)
    }

    private static func key(_ label: String, _ key: String) -> String { "\(label)\u{0}\(key)" }

    func offer(_ envelope: Envelope, ttl: Duration?) async throws {
        try await fallback.offer(envelope, ttl: ttl)
    }

    func claim(label: String, key: String, readerVersion: Int) async throws -> HandoffClaim? {
        let taken: Envelope? = try pending.withLock { pending in
            guard let envelope = pending[Self.key(label, key)] else { return nil }
            if envelope.header.oldestReaderVersion > readerVersion {
                throw HandoffError(.newerVersion, "the state checkpoint of \(label)/\(key) needs reader version \(envelope.header.oldestReaderVersion); this build reads \(readerVersion)")
            }
            pending[Self.key(label, key)] = nil
            return envelope
        }
        if let taken { return HandoffClaim(envelope: taken, token: Self.tokenPrefix + Self.key(label, key)) }
        return try await fallback.claim(label: label, key: key, readerVersion: readerVersion)
    }

    func commit(_ claim: HandoffClaim) async throws {
        if claim.token.hasPrefix(Self.tokenPrefix) { return }
        try await fallback.commit(claim)
    }

    func release(_ claim: HandoffClaim) async throws {
        guard claim.token.hasPrefix(Self.tokenPrefix) else { return try await fallback.release(claim) }
        let header = claim.envelope.header
        pending.withLock { $0[Self.key(header.label, header.key)] = claim.envelope }
    }

    func offers(label: String) -> AsyncStream<EnvelopeHeader> {
        fallback.offers(label: label)
    }
}
