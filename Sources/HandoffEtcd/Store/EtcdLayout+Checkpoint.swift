import FoundationEssentials
import HandoffSystem

// The keys of crash-durable checkpoints:
//
//   <prefix>/owners/<owner>                              a live process, under its owner lease
//   <prefix>/checkpoints/<label>/<key>/<owner>           its checkpoint: the envelope, no lease
//   <prefix>/checkpoints/<label>/<key>/<owner>/claim     a claim of it, under the claimer's lease
extension EtcdLayout {
    func ownerKey(_ owner: String) -> Data {
        Data("\(prefix)/owners/\(owner)".utf8)
    }

    /// Every checkpoint of `label` and `key`, and their claims: `[start, end)`.
    func checkpointRange(label: String, key: String) -> (start: Data, end: Data) {
        let start = Data("\(prefix)/checkpoints/\(EtcdLayout.encode(label))/\(EtcdLayout.encode(key))/".utf8)
        return (start, EtcdLayout.prefixEnd(start))
    }

    func checkpointKey(label: String, key: String, owner: String) -> Data {
        checkpointRange(label: label, key: key).start + Data(owner.utf8)
    }

    func checkpointClaimKey(label: String, key: String, owner: String) -> Data {
        checkpointKey(label: label, key: key, owner: owner) + Data("/claim".utf8)
    }
}
