import Synchronization
import HandoffSystem

/// The offers a follower refused (they could not be decoded or merged), by producer and
/// time: notifications of them are passed over, so giving one back does not make the follower
/// claim it again and again.
final class RefusedOffers: Sendable {
    private struct Identity: Hashable {
        let pid: Int32
        let createdAt: Int64
        init(_ header: EnvelopeHeader) {
            pid = header.producer.pid
            createdAt = header.createdAtNanoseconds
        }
    }
    private let refused = Mutex<Set<Identity>>([])

    func insert(_ header: EnvelopeHeader) { refused.withLock { _ = $0.insert(Identity(header)) } }
    func contains(_ header: EnvelopeHeader) -> Bool { refused.withLock { $0.contains(Identity(header)) } }
}
