import Handoff
import Synchronization

/// A ``HandoffStore`` in memory, correct or broken on purpose, for testing the conformance
/// suite itself.
final class MemoryStore: HandoffStore {
    /// A broken promise.
    enum Fault: Sendable {
        /// Keeps every promise.
        case none
        /// Hands an offer to every claimer, held or not.
        case claimNotExclusive
        /// Commit gives the offer back instead of removing it.
        case commitLeavesOffer
        /// A commit by a claimer that lost its claim succeeds.
        case lateCommitSucceeds
    }

    private struct Entry {
        var envelope: Envelope
        var expires: ContinuousClock.Instant?
        var holder: String?
    }

    let fault: Fault
    /// Per label and key, the offers oldest first: a later offer is kept, never refused.
    private let entries = Mutex<[String: [Entry]]>([:])
    private let tokens = Atomic<Int>(0)

    init(fault: Fault = .none) { self.fault = fault }

    private static func id(_ label: String, _ key: String) -> String { label + "\u{0}" + key }

    func offer(_ envelope: Envelope, ttl: Duration?) async throws {
        let id = Self.id(envelope.header.label, envelope.header.key)
        entries.withLock { entries in
            entries[id, default: []].append(Entry(envelope: envelope, expires: ttl.map { ContinuousClock.now + $0 }))
        }
    }

    func claim(label: String, key: String, readerVersion: Int) async throws -> HandoffClaim? {
        let id = Self.id(label, key)
        let token = "claim-\(tokens.wrappingAdd(1, ordering: .relaxed).newValue)"
        return try entries.withLock { entries throws(HandoffError) -> HandoffClaim? in
            var list = entries[id] ?? []
            list.removeAll { entry in entry.expires.map { $0 <= .now } ?? false }
            defer { entries[id] = list.isEmpty ? nil : list }
            guard let index = list.firstIndex(where: { $0.holder == nil || fault == .claimNotExclusive }) else { return nil }
            if list[index].envelope.header.oldestReaderVersion > readerVersion {
                throw HandoffError(.newerVersion, "\(label)/\(key) needs reader \(list[index].envelope.header.oldestReaderVersion)")
            }
            list[index].holder = token
            return HandoffClaim(envelope: list[index].envelope, token: token)
        }
    }

    func commit(_ claim: HandoffClaim) async throws {
        let id = Self.id(claim.envelope.header.label, claim.envelope.header.key)
        try entries.withLock { entries throws(HandoffError) in
            var list = entries[id] ?? []
            let held = list.firstIndex { $0.holder == claim.token }
            guard let index = held ?? (fault == .lateCommitSucceeds ? list.firstIndex { $0.envelope == claim.envelope } : nil) else {
                throw HandoffError(.claimLost, "\(claim.token) is not held")
            }
            if fault == .commitLeavesOffer { list[index].holder = nil } else { list.remove(at: index) }
            entries[id] = list.isEmpty ? nil : list
        }
    }

    func release(_ claim: HandoffClaim) async throws {
        let id = Self.id(claim.envelope.header.label, claim.envelope.header.key)
        try entries.withLock { entries throws(HandoffError) in
            guard let index = entries[id]?.firstIndex(where: { $0.holder == claim.token }) else {
                throw HandoffError(.claimLost, "\(claim.token) is not held")
            }
            entries[id]?[index].holder = nil
        }
    }

    func offers(label: String) -> AsyncStream<EnvelopeHeader> { AsyncStream { $0.finish() } }
}
