import FoundationEssentials
import Handoff
import HandoffSystem

// Offering: check what can fit before sending anything, write the chunks of large state, then
// create the offer key, the commit point: the label and key's first offer key if no offer
// waits, else a later offer key with a slot of its own (an offer never refuses a stop).
extension EtcdStore {
    func offerNow(_ envelope: Envelope, ttl: Duration?) async throws(HandoffError) {
        let label = envelope.header.label, key = envelope.header.key
        let what = EtcdStore.what(label, key)
        let doing = "offering \(what) to etcd"
        let ttl = ttl ?? configuration.offerTTL
        if let ttl, ttl <= .zero { throw HandoffError(.invalidArgument, "\(doing): the ttl of an offer must be positive; it is \(ttl)") }
        let names = EtcdLayout.encode(label).utf8.count + EtcdLayout.encode(key).utf8.count
        guard names <= EtcdLayout.maxEncodedNameLength else {
            throw HandoffError(.invalidArgument, "\(doing): the label and key take \(names) bytes as etcd keys; at most \(EtcdLayout.maxEncodedNameLength) fit etcd's request limit beside the state")
        }
        guard envelope.payload.count <= configuration.maxStateSize else {
            throw HandoffError(.envelopeTooLarge, "\(doing): the state is \(envelope.payload.count) bytes; this store takes at most \(configuration.maxStateSize) (EtcdConfiguration.maxStateSize)")
        }
        let bytes = envelope.encoded()

        var leaseID: Int64 = 0
        if let ttl {
            do { leaseID = try await client.grantLease(seconds: ttl.wholeSecondsRoundedUp) } catch {
                throw error.handoffError("\(doing): granting its lease")
            }
        }
        var offerID: String?
        do throws(HandoffError) {
            if envelope.payload.count <= EtcdLayout.inlineLimit {
                try await createInline(bytes, label: label, key: key, lease: leaseID, doing: doing)
            } else {
                let id = EtcdStore.newOfferID()
                offerID = id
                try await createChunked(bytes, offerID: id, label: label, key: key, lease: leaseID, doing: doing)
            }
        } catch {
            // Nothing of a failed offer stays: the lease takes its keys with it; chunks written
            // without one are deleted.
            if leaseID != 0 {
                try? await client.revokeLease(leaseID)
            } else if let offerID {
                let chunks = layout.chunkRange(label: label, key: key, offerID: offerID)
                _ = try? await client.txn(EtcdTxnRequest(success: [.delete(EtcdDeleteRequest(key: chunks.start, rangeEnd: chunks.end))]), idempotent: true)
            }
            throw error
        }
    }

    /// Creates the first offer key holding the whole envelope if it does not exist; else (a
    /// second transaction, so no request carries the state twice) a later offer key with a new
    /// slot.
    private func createInline(_ bytes: [UInt8], label: String, key: String, lease: Int64, doing: String) async throws(HandoffError) {
        var offerKey = layout.offerKey(label: label, key: key)
        for _ in 0..<2 {
            let request = EtcdTxnRequest(
                compare: [EtcdCompare(key: offerKey, relation: .equal, target: .createRevision(0))],
                success: [.put(EtcdPutRequest(key: offerKey, value: Data(bytes), lease: lease))])
            let answer: EtcdTxnResponse
            do { answer = try await client.txn(request, idempotent: false) } catch { throw error.handoffError(doing) }
            if answer.succeeded { return }
            offerKey = layout.offerKey(label: label, key: key, slot: EtcdStore.newOfferID())
        }
        throw HandoffError(.storeFailed, "\(doing): a new slot's key existed already (64 random bits twice alike); nothing was offered")
    }

    /// The chunks, one request each (a chunk is most of what one request may carry), then one
    /// transaction that creates the first offer key holding the header and the manifest if no
    /// offer waits, else a later offer key whose slot is the chunk set's id. (Chunks of an offer
    /// that never completed go with its lease; without a TTL they stay until deleted by hand.)
    private func createChunked(_ bytes: [UInt8], offerID: String, label: String, key: String, lease: Int64, doing: String) async throws(HandoffError) {
        let headerLength: Int
        do { headerLength = try EnvelopeHeader.decode(bytes[...]).1 } catch {
            throw error as? HandoffError ?? HandoffError(.malformedPayload, "\(error)")
        }
        let count = (bytes.count + EtcdLayout.chunkSize - 1) / EtcdLayout.chunkSize
        for index in 0..<count {
            let slice = bytes[(index * EtcdLayout.chunkSize)..<min(bytes.count, (index + 1) * EtcdLayout.chunkSize)]
            let put = EtcdPutRequest(
                key: layout.chunkKey(label: label, key: key, offerID: offerID, index: index),
                value: EtcdOfferRecord.chunkValue(slice), lease: lease)
            do {
                let _: EtcdEmptyResponse = try await client.call("/v3/kv/put", put, idempotent: true)
            } catch {
                throw error.handoffError("\(doing): writing chunk \(index + 1) of \(count)")
            }
        }
        let manifest = EtcdOfferRecord.Manifest(offerID: offerID, chunkCount: count, envelopeLength: bytes.count)
        let offerKey = layout.offerKey(label: label, key: key)
        let value = EtcdOfferRecord.chunkedValue(headerBytes: bytes[..<headerLength], manifest: manifest)
        let request = EtcdTxnRequest(
            compare: [EtcdCompare(key: offerKey, relation: .equal, target: .createRevision(0))],
            success: [.put(EtcdPutRequest(key: offerKey, value: value, lease: lease))],
            failure: [.put(EtcdPutRequest(key: layout.offerKey(label: label, key: key, slot: offerID), value: value, lease: lease))])
        do { _ = try await client.txn(request, idempotent: false) } catch { throw error.handoffError(doing) }
    }

    /// 16 hex digits, random: names one offer's chunk set.
    static func newOfferID() -> String {
        let digits = String(UInt64.random(in: 0 ... .max), radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
