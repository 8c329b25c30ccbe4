import HandoffSystem
// The registry's dealings with a HandoffStore: claiming at a start with no predecessor, and
// offering at a stop with no successor.
extension HandoffRegistry {
    /// Claims, applies and commits the offer for every registered label and key.
    ///
    /// Each label and key is independent: one that cannot be read is released (it stays
    /// offered) without holding the others back. A claim is committed only after its state was
    /// applied, so a process that dies in between leaves the offer to be delivered again.
    func restore(from store: any HandoffStore) async -> Outcome {
        var restored: [String] = []
        var failure: HandoffError?
        for member in registered {
            do {
                guard let claim = try await store.claim(label: member.label, key: member.key, readerVersion: member.version) else {
                    // No offer: a process that died may have left a checkpoint.
                    if let checkpoints = store as? any CheckpointingStore,
                       await takeDeadCheckpoints(for: member, from: checkpoints, resumeFirst: true, emit: { _ in }) > 0 {
                        restored.append(member.name)
                    }
                    continue
                }
                do {
                    _ = try await apply([claim.envelope])
                } catch {
                    try? await store.release(claim)
                    throw error
                }
                try await store.commit(claim)
                restored.append(member.name)
                // A mergeable type takes the offers left after the first (oldest) too.
                if member.prepareMerge != nil { await takeOffers(for: member, from: store, emit: { _ in }) }
            } catch {
                failure = failure ?? (error as? HandoffError ?? HandoffError(.storeFailed, "\(error)")).context("restoring \(member.name)")
            }
        }
        if let failure { return .failed(failure) }
        return restored.isEmpty ? .nothingToRestore : .restored(restored)
    }

    /// Offers envelopes to the store; every one is attempted, the first failure is thrown.
    func offer(_ envelopes: [Envelope], to store: any HandoffStore, ttl: Duration?) async throws {
        var failure: (any Error)?
        for envelope in envelopes {
            do {
                try await store.offer(envelope, ttl: ttl)
            } catch {
                failure = failure ?? error
            }
        }
        if let failure { throw failure }
    }
}
