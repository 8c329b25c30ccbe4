import Handoff
import HandoffSystem
/// A mailbox of `Codable` messages hands its pending and unacknowledged messages to the
/// process that takes over, which delivers them before any message of its own, in order.
///
/// A checkpoint (``handoffSnapshot()``) copies the messages and disturbs nothing.
/// ``handoffState()`` seals the mailbox: from then on it delivers nothing and accepts nothing
/// (``Mailbox/send(_:)`` waits, ``Mailbox/trySend(_:)`` throws
/// ``HandoffError/Code/mailboxHandedOver``), so no message is both handed over and handled
/// here. If the handover is abandoned — the upgrade rolled back, or the stop could not offer
/// the state — ``handoffAbandoned()`` unseals it and it carries on.
///
/// Messages that a consumer still holds when the state is collected are handed over too, and
/// delivered again by the successor: stop the consumers first (put their supervisor after the
/// ``UpgraderService`` in the runner, so the upgrade's drain stops it) and every message is
/// handled exactly once.
extension Mailbox: HandoffAware where Message: Codable {
    /// What is handed over: the messages in delivery order, with how many times each was
    /// delivered already.
    public struct State: Codable, Sendable {
        /// The messages, pending and unacknowledged, in sequence order.
        public var messages: [Message]
        /// Deliveries so far, one per message.
        public var attempts: [Int]
    }

    public static var handoffLabel: String { "handoff.mailbox" }
    public static var handoffVersion: Int { 1 }
    /// The mailbox's ``Mailbox/name``.
    public var handoffKey: String { name }

    /// Seals the mailbox and gives up every message it holds.
    public func handoffState() async throws -> State {
        let all = state.withLock { $0.seal() }
        return State(messages: all.map(\.message), attempts: all.map(\.attempts))
    }

    /// Every message it holds, pending and unacknowledged, without sealing: the mailbox goes on
    /// delivering and accepting (a checkpoint).
    public func handoffSnapshot() async throws -> State {
        let all = state.withLock { $0.snapshot() }
        return State(messages: all.map(\.message), attempts: all.map(\.attempts))
    }

    /// Puts the predecessor's messages ahead of everything this mailbox holds, in their order.
    /// They count against the capacity, which they may exceed: sends wait until it is met
    /// again.
    /// - Throws: ``HandoffError/Code/codingFailed`` if the state's two lists differ in length.
    public func resume(from handed: State) async throws {
        guard handed.messages.count == handed.attempts.count else {
            throw HandoffError(.codingFailed, "mailbox \(name): \(handed.messages.count) messages but \(handed.attempts.count) attempt counts")
        }
        let restored = zip(handed.messages, handed.attempts).map { (message: $0, attempts: max(0, $1)) }
        state.withLock { $0.restore(restored) }.resume()
    }

    /// Unseals the mailbox after an abandoned handover: it delivers and accepts again.
    public func handoffAbandoned() async {
        state.withLock { $0.unseal() }.resume()
    }
}
