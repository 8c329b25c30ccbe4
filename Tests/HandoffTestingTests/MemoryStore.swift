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
    private let entries = Mutex<[String: Entry]>([:])
    private let tokens = Atomic<Int>(0)

    init(fault: Fault = .none) { self.fault = fault }

    private static func id(_ label: String, _ key: String) -> String { label + "\u{0}" + key }

    func offer(_ envelope: Envelope, ttl: Duration?) async throws {
        let id = Self.id(envelope.header.label, envelope.header.key)
        try entries.withLock { entries throws(HandoffError) in
            if entries[id] != nil { throw HandoffError(.storeFailed, "\(id) is offered already") }
            entries[id] = Entry(envelope: envelope, expires: ttl.map { ContinuousClock.now + $0 })
        }
    }

    func claim(label: String, key: String, readerVersion: Int) async throws -> HandoffClaim? {
        let id = Self.id(label, key)
        let token = "claim-\(tokens.wrappingAdd(1, ordering: .relaxed).newValue)"
        return try entries.withLock { entries throws(HandoffError) -> HandoffClaim? in
            guard var entry = entries[id] else { return nil }
            if let expires = entry.expires, expires <= .now {
                entries[id] = nil
                return nil
            }
            if entry.holder != nil && fault != .claimNotExclusive { return nil }
            if entry.envelope.header.oldestReaderVersion > readerVersion {
                throw HandoffError(.newerVersion, "\(label)/\(key) needs reader \(entry.envelope.header.oldestReaderVersion)")
            }
            entry.holder = token
            entries[id] = entry
            return HandoffClaim(envelope: entry.envelope, token: token)
        }
    }

    func commit(_ claim: HandoffClaim) async throws {
        let id = Self.id(claim.envelope.header.label, claim.envelope.header.key)
        try entries.withLock { entries throws(HandoffError) in
            guard entries[id]?.holder == claim.token || (fault == .lateCommitSucceeds && entries[id] != nil) else {
                throw HandoffError(.claimLost, "\(claim.token) is not held")
            }
            if fault == .commitLeavesOffer { entries[id]?.holder = nil } else { entries[id] = nil }
        }
    }

    func release(_ claim: HandoffClaim) async throws {
        let id = Self.id(claim.envelope.header.label, claim.envelope.header.key)
        try entries.withLock { entries throws(HandoffError) in
            guard entries[id]?.holder == claim.token else { throw HandoffError(.claimLost, "\(claim.token) is not held") }
            entries[id]?.holder = nil
        }
    }

    func offers(label: String) -> AsyncStream<EnvelopeHeader> { AsyncStream { $0.finish() } }
}
