import HandoffSystem
// Crash-durable checkpoints in a store: written periodically while the process runs, removed
// when it hands its state on cleanly, and claimed from processes that died.
extension HandoffRegistry {
    /// How often a running follower looks for checkpoints of processes that died.
    static let deadCheckpointPoll: Duration = .seconds(1)

    /// Writes a snapshot of every instance's state as this process's checkpoints. Skipped
    /// (returns `false`) while the state is being given up, so no checkpoint outlives the
    /// handover.
    /// - Throws: The snapshot's or the store's error.
    @discardableResult
    func checkpoint(to store: any CheckpointingStore) async throws -> Bool {
        guard mergeGate.enter() else { return false }
        defer { mergeGate.leave() }
        for envelope in try await snapshot() { try await store.checkpoint(envelope) }
        return true
    }

    /// Removes this process's checkpoints: its state went on by a handover or an offer.
    func removeCheckpoints(from store: any HandoffStore) async {
        guard let store = store as? any CheckpointingStore else { return }
        for member in registered { try? await store.removeCheckpoint(label: member.label, key: member.key) }
    }

    /// Claims the checkpoints dead processes left for `member` and applies them: the first
    /// with `resume` if `resumeFirst` (nothing else was restored), the others with `merge`
    /// (a type that cannot merge takes only that first one). Committed after each applied.
    /// - Returns: How many were applied.
    @discardableResult
    func takeDeadCheckpoints(for member: Member, from store: any CheckpointingStore, resumeFirst: Bool,
                             emit: @Sendable (UpgradeEvent) -> Void) async -> Int {
        var applied = 0
        while !Task.isCancelled, mergeGate.enter() {
            defer { mergeGate.leave() }
            let resuming = resumeFirst && applied == 0
            guard resuming || member.prepareMerge != nil else { return applied }
            let claim: HandoffClaim
            do {
                guard let taken = try await store.claimCheckpoint(label: member.label, key: member.key, readerVersion: member.version) else { return applied }
                claim = taken
            } catch {
                emit(.mergeFailed(HandoffRegistry.failure(error, .storeFailed).context("claiming a dead process's checkpoint of \(member.name)")))
                return applied
            }
            do {
                let apply = try (resuming ? member.prepare : member.prepareMerge!)(claim.envelope)
                try await apply()
            } catch {
                try? await store.release(claim)
                emit(.mergeFailed(HandoffRegistry.failure(error, .migrationFailed).context("applying a dead process's checkpoint of \(member.name); it stays")))
                return applied
            }
            do {
                try await store.commit(claim)
            } catch {
                emit(.mergeFailed(HandoffRegistry.failure(error, .storeFailed).context("committing a dead process's checkpoint of \(member.name)")))
                return applied
            }
            applied += 1
            emit(.stateMerged(name: member.name, producer: claim.envelope.header.producer.pid))
        }
        return applied
    }

    /// Looks for dead processes' checkpoints of `members` every ``deadCheckpointPoll`` until
    /// cancelled, merging what it finds.
    func followDeadCheckpoints(_ members: [Member], store: any CheckpointingStore, emit: @escaping @Sendable (UpgradeEvent) -> Void) async {
        while !Task.isCancelled {
            for member in members { await takeDeadCheckpoints(for: member, from: store, resumeFirst: false, emit: emit) }
            do { try await Task.sleep(for: HandoffRegistry.deadCheckpointPoll) } catch { return }
        }
    }
}
