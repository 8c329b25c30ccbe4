import Handoff
import HandoffSystem
/// A message as a consumer received it from a ``Mailbox``: it stays the mailbox's until the
/// consumer acknowledges it (``MailboxConsumer/acknowledge(_:)``).
///
/// If the consumer ends without acknowledging it — its ``Mailbox/consume(isolation:_:)`` body throws, is
/// cancelled, or returns — the message is delivered again, before any message delivered for
/// the first time.
public struct Delivery<Message: Sendable>: Sendable {
    /// The message.
    public let message: Message
    /// The message's place in the mailbox's order: deliveries come in increasing sequence,
    /// except that a message delivered again comes before every newer one. Acknowledgements
    /// name the message by it.
    public let sequence: Int
    /// How many times the message has been delivered, this time included: 1 the first time.
    /// Carried across upgrades.
    public let attempt: Int
    /// The consumer that holds it.
    @usableFromInline package let consumer: Int

    @inlinable
    init(message: Message, sequence: Int, attempt: Int, consumer: Int) {
        self.message = message
        self.sequence = sequence
        self.attempt = attempt
        self.consumer = consumer
    }
}
