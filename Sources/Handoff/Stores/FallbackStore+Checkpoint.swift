import HandoffSystem
// Checkpoints behind a FallbackStore go to the primary, if it keeps them; claims of dead
// processes' checkpoints come from the primary (the cluster), routed like any claim.
extension FallbackStore: CheckpointingStore {
    /// Writes the checkpoint to the primary store.
    /// - Throws: ``HandoffError/Code/invalidArgument`` if the primary keeps no checkpoints; else
    ///   the primary's error (checkpoints do not fall back: the next one is tried later).
    public func checkpoint(_ envelope: Envelope) async throws {
        try await checkpointing().checkpoint(envelope)
    }

    /// Removes this process's checkpoint from the primary store.
    /// - Throws: As ``checkpoint(_:)``.
    public func removeCheckpoint(label: String, key: String) async throws {
        try await checkpointing().removeCheckpoint(label: label, key: key)
    }

    /// Claims a dead process's checkpoint from the primary store; `nil` if it keeps none.
    /// - Throws: The primary's error.
    public func claimCheckpoint(label: String, key: String, readerVersion: Int) async throws -> HandoffClaim? {
        guard let primary = primary as? any CheckpointingStore,
              let claim = try await primary.claimCheckpoint(label: label, key: key, readerVersion: readerVersion) else { return nil }
        return HandoffClaim(envelope: claim.envelope, token: "primary:" + claim.token)
    }

    private func checkpointing() throws(HandoffError) -> any CheckpointingStore {
        guard let store = primary as? any CheckpointingStore else {
            throw HandoffError(.invalidArgument, "the primary store keeps no checkpoints")
        }
        return store
    }
}
