import Synchronization
import HandoffSystem

// Late claims: a running process follows the store's offers for its mergeable instances,
// claims what appears, merges it, and commits only after the merge returned.
extension HandoffRegistry {
    /// The decoding merge of a ``HandoffMergeable`` instance, and whether its type follows
    /// offers. Called with the instance as `any HandoffMergeable`, which opens it.
    static func merging<M: HandoffMergeable>(_ instance: M) -> (prepare: @Sendable (Envelope) throws -> @Sendable () async throws -> Void, follows: Bool) {
        let prepare: @Sendable (Envelope) throws -> @Sendable () async throws -> Void = { envelope in
            let state = try HandoffRegistry.decode(M.self, from: envelope)
            return { try await instance.merge(state) }
        }
        return (prepare, M.handoffFollowsOffers)
    }

    /// Merges claimed state into the registered ``HandoffMergeable`` instance of its label and
    /// key: for an application that claims by hand. Commit the claim after this returned;
    /// release it if this throws.
    /// - Parameter envelope: The claimed state.
    /// - Throws: ``HandoffError/Code/invalidArgument`` if no mergeable instance is registered
    ///   for its label and key; a decoding error (before anything was merged); or
    ///   ``HandoffError/Code/migrationFailed`` if the instance's `merge(_:)` refused it.
    public func merge(_ envelope: Envelope) async throws {
        let header = envelope.header
        guard let member = registered.first(where: { $0.label == header.label && $0.key == header.key }),
              let prepare = member.prepareMerge else {
            throw HandoffError(.invalidArgument, "no HandoffMergeable instance is registered for \(header.label)/\(header.key)")
        }
        let merge = try prepare(envelope)
        do {
            try await merge()
        } catch {
            throw HandoffError(.migrationFailed, "\(member.name) refused the state of pid \(header.producer.pid) in merge(_:): \(error)")
        }
    }

    /// The members whose offers a running process follows: mergeable ones that ask to, or
    /// every mergeable one when `all`.
    func followed(all: Bool) -> [Member] {
        registered.filter { $0.prepareMerge != nil && (all || $0.follows) }
    }

    /// Follows the store's offers for `members` until the task is cancelled: each offer that
    /// appears for one of their labels and keys is claimed, merged and committed, oldest
    /// first. Offers waiting when it starts are taken too.
    func follow(_ members: [Member], store: any HandoffStore, emit: @escaping @Sendable (UpgradeEvent) -> Void) async {
        let byLabel = Dictionary(grouping: members, by: \.label)
        await withDiscardingTaskGroup { group in
            if let checkpoints = store as? any CheckpointingStore {
                // A holder that died leaves no offer: its checkpoint is claimable once it is gone.
                group.addTask { await self.followDeadCheckpoints(members, store: checkpoints, emit: emit) }
            }
            for (label, members) in byLabel {
                // Subscribed before the first look, so nothing offered in between is missed.
                let offers = store.offers(label: label)
                group.addTask {
                    let refused = RefusedOffers()
                    for member in members {
                        await self.takeOffers(for: member, from: store, refused: refused, emit: emit)
                    }
                    for await header in offers {
                        guard let member = members.first(where: { $0.key == header.key }),
                              !refused.contains(header) else { continue }
                        await self.takeOffers(for: member, from: store, refused: refused, emit: emit)
                    }
                }
            }
        }
    }

    /// Claims and merges every offer for `member`, oldest first, until none is left, the gate
    /// closes (the state is being given up), the task is cancelled, or one is refused.
    /// - Returns: How many were merged.
    @discardableResult
    func takeOffers(for member: Member, from store: any HandoffStore, refused: RefusedOffers? = nil,
                    emit: @Sendable (UpgradeEvent) -> Void) async -> Int {
        guard let prepare = member.prepareMerge else { return 0 }
        var merged = 0
        while !Task.isCancelled, mergeGate.enter() {
            defer { mergeGate.leave() }
            let claim: HandoffClaim
            do {
                guard let taken = try await store.claim(label: member.label, key: member.key, readerVersion: member.version) else { return merged }
                claim = taken
            } catch {
                emit(.mergeFailed(HandoffRegistry.failure(error, .storeFailed).context("claiming an offer of \(member.name) to merge")))
                return merged
            }
            // From here the claim is seen through, cancelled or not: merged and committed, or
            // given back.
            let producer = claim.envelope.header.producer.pid
            do {
                let merge = try prepare(claim.envelope)
                do {
                    try await merge()
                } catch {
                    throw HandoffError(.migrationFailed, "\(member.name) refused the state of pid \(producer) in merge(_:): \(error)")
                }
            } catch {
                refused?.insert(claim.envelope.header)
                try? await store.release(claim)
                emit(.mergeFailed(HandoffRegistry.failure(error, .codingFailed).context("merging an offer of \(member.name); it stays offered")))
                return merged
            }
            do {
                try await store.commit(claim)
            } catch {
                emit(.mergeFailed(HandoffRegistry.failure(error, .storeFailed).context("committing the merged offer of \(member.name) (pid \(producer)); it was merged here and may be merged again by the next claimer")))
                return merged
            }
            merged += 1
            emit(.stateMerged(name: member.name, producer: producer))
        }
        return merged
    }

    static func failure(_ error: any Error, _ code: HandoffError.Code) -> HandoffError {
        error as? HandoffError ?? HandoffError(code, "\(error)")
    }
}
