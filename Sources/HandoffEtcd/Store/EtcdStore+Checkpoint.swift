import FoundationEssentials
import Handoff
import HandoffSystem

// Crash-durable checkpoints in etcd: the checkpoint key under no lease, and an owner key under
// the holder's own lease, kept alive while it lives. A claim is a transaction that requires the
// owner key to be gone: possible only once the holder's lease expired (it died) — after at most
// the lease's TTL (EtcdConfiguration.claimTTL).
extension EtcdStore: CheckpointingStore {
    static let checkpointTokenPrefix = "ckpt:"

    /// Replaces this process's checkpoint of the envelope's label and key, and renews its owner
    /// key, in one transaction.
    /// - Throws: `envelopeTooLarge` for state over 1 MiB (checkpoints are not chunked);
    ///   `storeUnreachable` or `storeFailed`; the previous checkpoint is then kept.
    public func checkpoint(_ envelope: Envelope) async throws {
        let header = envelope.header
        let doing = "checkpointing \(EtcdStore.what(header.label, header.key)) to etcd"
        guard envelope.payload.count <= EtcdLayout.inlineLimit else {
            throw HandoffError(.envelopeTooLarge, "\(doing): the state is \(envelope.payload.count) bytes; a checkpoint in etcd holds at most \(EtcdLayout.inlineLimit)")
        }
        for _ in 0..<2 {
            let owner = try await ownership(doing)
            let request = EtcdTxnRequest(success: [
                .put(EtcdPutRequest(key: layout.ownerKey(ownerID), value: Data("\(Syscall.processID)".utf8), lease: owner)),
                .put(EtcdPutRequest(key: layout.checkpointKey(label: header.label, key: header.key, owner: ownerID), value: Data(envelope.encoded()), lease: 0)),
            ])
            do {
                _ = try await client.txn(request, idempotent: true)
                return
            } catch where error.isLeaseNotFound {
                // The owner lease ran out (etcd unreachable for longer than its TTL): a new one.
                ownerLease.forget(owner)
                ownerLeaseID.withLock { if $0 == owner { $0 = nil } }
            } catch {
                throw error.handoffError(doing)
            }
        }
        throw HandoffError(.storeFailed, "\(doing): the owner lease expired twice in a row")
    }

    /// Deletes this process's checkpoint of `label` and `key`.
    /// - Throws: `storeUnreachable` or `storeFailed`.
    public func removeCheckpoint(label: String, key: String) async throws {
        do {
            _ = try await client.txn(EtcdTxnRequest(success: [.delete(EtcdDeleteRequest(key: layout.checkpointKey(label: label, key: key, owner: ownerID)))]), idempotent: true)
        } catch {
            throw error.handoffError("removing the checkpoint of \(EtcdStore.what(label, key))")
        }
    }

    /// Claims the oldest checkpoint of `label` and `key` whose owner key is gone.
    /// - Throws: `newerVersion` or an envelope error (it stays); `storeUnreachable`.
    public func claimCheckpoint(label: String, key: String, readerVersion: Int) async throws -> HandoffClaim? {
        let what = EtcdStore.what(label, key)
        let doing = "claiming a checkpoint of \(what) from etcd"
        let range = layout.checkpointRange(label: label, key: key)
        let read: EtcdRangeResponse
        do {
            read = try await client.call("/v3/kv/range", EtcdRangeRequest(key: range.start, rangeEnd: range.end), idempotent: true)
        } catch {
            throw error.handoffError(doing)
        }
        var checkpoints: [(owner: String, kv: EtcdKeyValue)] = []
        var claimed: Set<String> = []
        for kv in read.kvs {
            let rest = String(decoding: kv.key.dropFirst(range.start.count), as: UTF8.self)
            if rest.hasSuffix("/claim") { claimed.insert(String(rest.dropLast("/claim".count))) } else if EtcdLayout.isSlot(rest) { checkpoints.append((rest, kv)) }
        }
        for (owner, kv) in checkpoints.sorted(by: { $0.kv.createRevision < $1.kv.createRevision })
        where owner != ownerID && !claimed.contains(owner) {
            let envelope: Envelope
            do { envelope = try Envelope(decoding: Array(kv.value)) } catch {
                let failure = error as? HandoffError ?? HandoffError(.malformedPayload, "\(error)")
                throw HandoffError(failure.code, "the checkpoint of \(what) by \(owner) is refused, and stays: \(failure.reason)")
            }
            guard envelope.header.label == label, envelope.header.key == key else { continue }
            if envelope.header.oldestReaderVersion > readerVersion {
                throw HandoffError(.newerVersion, "the checkpoint of \(what) is state version \(envelope.header.stateVersion), readable from version \(envelope.header.oldestReaderVersion) on; this reader knows up to \(readerVersion), so it stays")
            }
            let leaseID: Int64
            do { leaseID = try await lease.acquire() } catch { throw error.handoffError("\(doing): granting the claim lease") }
            let token = EtcdClaimToken(lease: leaseID, offerID: nil)
            let claimKey = layout.checkpointClaimKey(label: label, key: key, owner: owner)
            let taken: EtcdTxnResponse
            do {
                taken = try await client.txn(EtcdTxnRequest(
                    compare: [
                        EtcdCompare(key: layout.ownerKey(owner), relation: .equal, target: .createRevision(0)),
                        EtcdCompare(key: kv.key, relation: .equal, target: .modRevision(kv.modRevision)),
                        EtcdCompare(key: claimKey, relation: .equal, target: .createRevision(0)),
                    ],
                    success: [.put(EtcdPutRequest(key: claimKey, value: token.value, lease: leaseID))]), idempotent: false)
            } catch {
                lease.relinquish(leaseID)
                if error.isLeaseNotFound { lease.forget(leaseID); continue }
                throw error.handoffError(doing)
            }
            guard taken.succeeded else {
                lease.relinquish(leaseID)
                continue  // its owner lives, or it changed or was claimed meanwhile
            }
            return HandoffClaim(envelope: envelope, token: "\(EtcdStore.checkpointTokenPrefix)\(owner):\(token.text)")
        }
        return nil
    }

    /// Commits (deletes the checkpoint and its claim) or releases (deletes the claim) a
    /// checkpoint claim, if the claim key still holds its token.
    func finishCheckpoint(_ claim: HandoffClaim, committing: Bool) async throws(HandoffError) {
        let header = claim.envelope.header
        let what = EtcdStore.what(header.label, header.key)
        let parts = claim.token.dropFirst(EtcdStore.checkpointTokenPrefix.count).split(separator: ":", maxSplits: 1)
        guard parts.count == 2, EtcdLayout.isSlot(parts[0]), let token = EtcdClaimToken(parsing: String(parts[1])) else {
            throw HandoffError(.invalidArgument, "\"\(claim.token)\" is not a checkpoint claim an etcd store made for \(what)")
        }
        let owner = String(parts[0])
        let claimKey = layout.checkpointClaimKey(label: header.label, key: header.key, owner: owner)
        var operations: [EtcdOperation] = [.delete(EtcdDeleteRequest(key: claimKey))]
        if committing { operations.append(.delete(EtcdDeleteRequest(key: layout.checkpointKey(label: header.label, key: header.key, owner: owner)))) }
        let answer: EtcdTxnResponse
        do {
            answer = try await client.txn(EtcdTxnRequest(
                compare: [EtcdCompare(key: claimKey, relation: .equal, target: .value(token.value))],
                success: operations), idempotent: false)
        } catch {
            throw error.handoffError("\(committing ? "committing" : "releasing") the checkpoint claim on \(what)")
        }
        lease.relinquish(token.lease)
        guard answer.succeeded else {
            throw HandoffError(.claimLost, "cannot \(committing ? "commit" : "release") the checkpoint claim on \(what): it is no longer held (its lease expired, or it was finished already)")
        }
    }

    /// The owner lease, granted at the first checkpoint and kept alive from then on.
    private func ownership(_ doing: String) async throws(HandoffError) -> Int64 {
        if let id = ownerLeaseID.withLock({ $0 }) { return id }
        let id: Int64
        do { id = try await ownerLease.acquire() } catch { throw error.handoffError("\(doing): granting the owner lease") }
        return ownerLeaseID.withLock { current in
            if let current {
                ownerLease.relinquish(id)
                return current
            }
            current = id
            return id
        }
    }
}
