import Handoff
import HandoffSystem
extension MailboxQueue {
    /// Every message held — pending and in flight — in sequence order, with its deliveries so
    /// far, leaving the queue as it is: what ``seal()`` returns, without sealing (checkpoints).
    func snapshot() -> [(message: Message, attempts: Int)] {
        var all = returned.map { ($0.sequence, $0.message, $0.attempts) }
        all += inFlight.map { ($0.key, $0.value.message, $0.value.attempts) }
        all += fresh.elements.map { ($0.sequence, $0.message, $0.attempts) }
        return all.sorted { $0.0 < $1.0 }.map { ($0.1, $0.2) }
    }
}
