import FoundationEssentials
import Handoff
import HandoffSystem

// Listing what waits in the cluster, for operators (`handoffctl offers --store etcd://…`).
extension EtcdStore: OfferListing {
    /// Every offer under the store's prefix, claimed ones included, sorted by label and key:
    /// one range read of `<prefix>/offers/`, taking nothing. An offer whose claim key exists is
    /// ``PendingOffer/State/claimed`` (its claimer's lease keeps it alive: a dead claimer's
    /// claim disappears with its lease, and the offer shows as offered again). Claims hold a
    /// lease and a nonce, not a pid, so ``PendingOffer/claimer`` stays `nil`.
    /// - Throws: ``HandoffError`` with ``HandoffError/Code/storeUnreachable`` if etcd cannot be
    ///   reached, or ``HandoffError/Code/storeFailed`` for an answer that cannot be read.
    package func pendingOffers() async throws -> [PendingOffer] {
        let start = Data("\(layout.prefix)/offers/".utf8)
        let range: EtcdRangeResponse
        do {
            range = try await client.call("/v3/kv/range", EtcdRangeRequest(key: start, rangeEnd: EtcdLayout.prefixEnd(start)), idempotent: true)
        } catch {
            throw error.handoffError("listing the offers under \(layout.prefix)/offers/")
        }
        let claimSuffix = Data("/claim".utf8)
        var claimed: Set<Data> = []
        for kv in range.kvs where kv.key.count > claimSuffix.count && kv.key.suffix(claimSuffix.count) == claimSuffix {
            claimed.insert(kv.key.prefix(kv.key.count - claimSuffix.count))
        }
        var offers: [PendingOffer] = []
        for kv in range.kvs {
            guard !(kv.key.count > claimSuffix.count && kv.key.suffix(claimSuffix.count) == claimSuffix) else { continue }
            let location = String(decoding: kv.key, as: UTF8.self)
            let state: PendingOffer.State = claimed.contains(kv.key) ? .claimed : .offered
            do {
                let record = try EtcdOfferRecord(decoding: kv.value, what: location)
                offers.append(PendingOffer(header: record.header, state: state, location: location))
            } catch {
                offers.append(PendingOffer(header: nil, state: state, location: location, problem: "\(error)"))
            }
        }
        return offers.sorted { ($0.header?.label ?? "", $0.header?.key ?? "", $0.location) < ($1.header?.label ?? "", $1.header?.key ?? "", $1.location) }
    }
}
