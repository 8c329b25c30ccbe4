import FoundationEssentials
import Handoff
import HandoffSystem

// Claiming: look without taking, take with one transaction that also reads the chunks, verify
// what was taken and give back what fails; commit and release compare the claim's token.
extension EtcdStore {
    func claimNow(label: String, key: String, readerVersion: Int) async throws(HandoffError) -> HandoffClaim? {
        let what = EtcdStore.what(label, key)
        let doing = "claiming \(what) from etcd"
        let slots = layout.slotRange(label: label, key: key)
        for _ in 0..<EtcdStore.claimAttempts {
            // The offers and which are claimed, at one revision.
            let look: EtcdTxnResponse
            do {
                look = try await client.txn(EtcdTxnRequest(success: [
                    .range(EtcdRangeRequest(key: layout.offerKey(label: label, key: key))),
                    .range(EtcdRangeRequest(key: slots.start, rangeEnd: slots.end)),
                ]), idempotent: true)
            } catch {
                throw error.handoffError(doing)
            }
            // The oldest offer no live claimer holds (a claim key lives as long as its lease).
            var offers: [(slot: String?, kv: EtcdKeyValue)] = []
            var claimed: Set<String> = []
            for kv in look.kvs(at: 0) + look.kvs(at: 1) {
                switch layout.entry(kv.key, label: label) {
                case .offer(let found, let slot)? where found == key: offers.append((slot, kv))
                case .claim(let found, let slot)? where found == key: claimed.insert(slot ?? "")
                default: break
                }
            }
            guard let (slot, offer) = offers.filter({ !claimed.contains($0.slot ?? "") }).min(by: { $0.kv.createRevision < $1.kv.createRevision }) else { return nil }
            let offerKey = layout.offerKey(label: label, key: key, slot: slot)
            let claimKey = layout.claimKey(label: label, key: key, slot: slot)
            let record: EtcdOfferRecord
            do throws(HandoffError) {
                record = try EtcdOfferRecord(decoding: offer.value, what: what)
            } catch {
                throw HandoffError(error.code, "the offer for \(what) is refused, and stays offered: \(error.reason)", errno: error.errno)
            }
            guard record.header.label == label, record.header.key == key else {
                throw HandoffError(.malformedPayload, "the offer key for \(what) holds an envelope for \(record.header.label)/\(record.header.key); it stays offered")
            }
            if record.header.oldestReaderVersion > readerVersion {
                throw HandoffError(.newerVersion, "the offer for \(what) is state version \(record.header.stateVersion), readable from version \(record.header.oldestReaderVersion) on; this reader knows up to \(readerVersion), so it stays offered")
            }

            let leaseID: Int64
            do { leaseID = try await lease.acquire() } catch { throw error.handoffError("\(doing): granting the claim lease") }
            let token = EtcdClaimToken(lease: leaseID, offerID: record.offerID, slot: slot)
            var success: [EtcdOperation] = [.put(EtcdPutRequest(key: claimKey, value: token.value, lease: leaseID))]
            if let offerID = record.offerID {
                let chunks = layout.chunkRange(label: label, key: key, offerID: offerID)
                success.append(.range(EtcdRangeRequest(key: chunks.start, rangeEnd: chunks.end)))
            }
            let taken: EtcdTxnResponse
            do {
                taken = try await client.txn(EtcdTxnRequest(
                    compare: [
                        EtcdCompare(key: offerKey, relation: .equal, target: .modRevision(offer.modRevision)),
                        EtcdCompare(key: claimKey, relation: .equal, target: .createRevision(0)),
                    ],
                    success: success), idempotent: false)
            } catch where error.isLeaseNotFound {
                lease.forget(leaseID)  // expired while idle: the next attempt gets a new one
                continue
            } catch {
                lease.relinquish(leaseID)
                throw error.handoffError(doing)
            }
            guard taken.succeeded else {
                lease.relinquish(leaseID)
                continue  // changed or claimed meanwhile: look again
            }
            do throws(HandoffError) {
                let envelope = try record.envelope(chunks: taken.kvs(at: 1), what: what)
                return HandoffClaim(envelope: envelope, token: token.text)
            } catch {
                let refusal = HandoffError(error.code, "the offer for \(what) is refused, and stays offered: \(error.reason)")
                defer { lease.relinquish(leaseID) }
                do {
                    try await removeClaim(token, claimKey: claimKey, what: what)
                } catch {
                    throw HandoffError(refusal.code, "\(refusal.reason); giving it back failed (\(error.reason)), so it is claimable again when this process's lease expires")
                }
                throw refusal
            }
        }
        return nil
    }

    /// Commits (deletes the offer, the claim and the chunks) or releases (deletes the claim),
    /// if the claim key still holds the claim's token.
    func finish(_ claim: HandoffClaim, committing: Bool) async throws(HandoffError) {
        let header = claim.envelope.header
        let what = EtcdStore.what(header.label, header.key)
        guard let token = EtcdClaimToken(parsing: claim.token) else {
            throw HandoffError(.invalidArgument, "\"\(claim.token)\" is not a claim an etcd store made for \(what)")
        }
        let claimKey = layout.claimKey(label: header.label, key: header.key, slot: token.slot)
        if committing {
            var operations: [EtcdOperation] = [
                .delete(EtcdDeleteRequest(key: layout.offerKey(label: header.label, key: header.key, slot: token.slot))),
                .delete(EtcdDeleteRequest(key: claimKey)),
            ]
            if let offerID = token.offerID {
                let chunks = layout.chunkRange(label: header.label, key: header.key, offerID: offerID)
                operations.append(.delete(EtcdDeleteRequest(key: chunks.start, rangeEnd: chunks.end)))
            }
            let answer: EtcdTxnResponse
            do {
                answer = try await client.txn(EtcdTxnRequest(
                    compare: [EtcdCompare(key: claimKey, relation: .equal, target: .value(token.value))],
                    success: operations), idempotent: false)
            } catch {
                throw error.handoffError("committing the claim on \(what)")
            }
            guard answer.succeeded else {
                lease.relinquish(token.lease)
                throw lost(what, doing: "commit")
            }
        } else {
            do throws(HandoffError) {
                try await removeClaim(token, claimKey: claimKey, what: what)
            } catch {
                if error.code == .claimLost { lease.relinquish(token.lease) }
                throw error
            }
        }
        // Done with the claim: its lease is kept alive for it no longer. (A failure to reach
        // etcd above keeps it alive, so the caller may try again.)
        lease.relinquish(token.lease)
    }

    /// Deletes the claim key if it holds `token`.
    private func removeClaim(_ token: EtcdClaimToken, claimKey: Data, what: String) async throws(HandoffError) {
        let answer: EtcdTxnResponse
        do {
            answer = try await client.txn(EtcdTxnRequest(
                compare: [EtcdCompare(key: claimKey, relation: .equal, target: .value(token.value))],
                success: [.delete(EtcdDeleteRequest(key: claimKey))]), idempotent: false)
        } catch {
            throw error.handoffError("releasing the claim on \(what)")
        }
        guard answer.succeeded else { throw lost(what, doing: "release") }
    }

    private func lost(_ what: String, doing: String) -> HandoffError {
        HandoffError(.claimLost, "cannot \(doing) the claim on \(what): it is no longer held (its lease expired, or it was released or committed already); another claimer may hold it now")
    }
}
