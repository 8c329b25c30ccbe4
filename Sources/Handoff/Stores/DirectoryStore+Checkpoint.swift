import HandoffSystem

// Crash-durable checkpoints in a DirectoryStore: one file per process, label and key, named
// after the owner (pid, start time, boot id); claimable once that process is gone.
extension DirectoryStore: CheckpointingStore {
    /// Replaces this process's checkpoint of the envelope's label and key: a temporary file,
    /// fsynced, renamed over the previous checkpoint (`<stem>+ckpt+<pid>+<start>+<boot>+0`).
    /// - Throws: ``HandoffError/Code/storeFailed`` naming the call that failed; the previous
    ///   checkpoint is then kept.
    public func checkpoint(_ envelope: Envelope) async throws {
        try await DirectoryStore.perform { try self.checkpointNow(envelope) }
    }

    private func checkpointNow(_ envelope: Envelope) throws(HandoffError) {
        do {
            let label = envelope.header.label, key = envelope.header.key
            let temporary = path(DirectoryStoreLayout.temporaryName(label: label, key: key, owner: .current, sequence: DirectoryStore.nextSequence()))
            do throws(HandoffError) {
                try StoreFiles.writeNew(temporary, bytes: envelope.encoded(), expiresAt: nil)
                // The name is this process's own: replacing it replaces only its own checkpoint.
                try StoreFiles.rename(temporary, path(DirectoryStoreLayout.checkpointName(label: label, key: key, owner: .current)))
            } catch {
                Syscall.removeQuietly(temporary)
                throw HandoffError(.storeFailed, "cannot checkpoint \(label)/\(key): \(error.reason)", errno: error.errno)
            }
            StoreFiles.syncDirectory(directory)
        }
    }

    /// Removes this process's checkpoint of `label` and `key`.
    /// - Throws: ``HandoffError/Code/storeFailed`` if `unlink` failed.
    public func removeCheckpoint(label: String, key: String) async throws {
        try await DirectoryStore.perform { try self.removeCheckpointNow(label: label, key: key) }
    }

    private func removeCheckpointNow(label: String, key: String) throws(HandoffError) {
        do {
            let name = path(DirectoryStoreLayout.checkpointName(label: label, key: key, owner: .current))
            do throws(HandoffError) { try StoreFiles.unlinkIfPresent(name) } catch {
                throw HandoffError(.storeFailed, "cannot remove the checkpoint of \(label)/\(key): \(error.reason)", errno: error.errno)
            }
        }
    }

    /// Claims a checkpoint of `label` and `key` whose owner is gone (its pid gone, or now
    /// another process's): renamed to a claim name of this process, so exactly one claimer
    /// wins; released, it becomes an ordinary offer.
    /// - Throws: ``HandoffError/Code/newerVersion`` or an envelope error, leaving it in place.
    public func claimCheckpoint(label: String, key: String, readerVersion: Int) async throws -> HandoffClaim? {
        try await DirectoryStore.perform { try self.claimCheckpointNow(label: label, key: key, readerVersion: readerVersion) }
    }

    private func claimCheckpointNow(label: String, key: String, readerVersion: Int) throws(HandoffError) -> HandoffClaim? {
        do {
            let stem = DirectoryStoreLayout.stem(label: label, key: key)
            let names: [String]
            do throws(HandoffError) { names = try StoreFiles.names(in: directory) } catch {
                throw HandoffError(.storeFailed, "cannot claim a checkpoint of \(label)/\(key): \(error.reason)", errno: error.errno)
            }
            for name in names.sorted() {
                guard case .checkpoint(let found, let owner) = DirectoryStoreLayout.parse(name), found == stem, !owner.isAlive else { continue }
                let source = path(name)
                guard case .offer(let header) = try peek(source, label: label, key: key) else { continue }
                if header.oldestReaderVersion > readerVersion { throw newer(header, readerVersion: readerVersion) }
                // A claim under a fresh offer id: released or revived, it is an offer.
                let entryStem = "\(stem)\(DirectoryStoreLayout.offerIDMarker)\(DirectoryStoreLayout.newOfferID(now: StoreFiles.realtimeNanoseconds()))"
                let token = DirectoryStoreLayout.claimName(entryStem: entryStem, owner: .current, sequence: DirectoryStore.nextSequence())
                do throws(HandoffError) { try StoreFiles.rename(source, path(token)) } catch {
                    if error.errno == .noSuchFileOrDirectory { continue }  // another claimer won
                    throw HandoffError(.storeFailed, "cannot claim the checkpoint \(name): \(error.reason)", errno: error.errno)
                }
                if let claim = try verifyTaken(path(token), token: token, offer: path(entryStem + DirectoryStoreLayout.offerSuffix), label: label, key: key, readerVersion: readerVersion) {
                    return claim
                }
            }
            return nil
        }
    }
}
