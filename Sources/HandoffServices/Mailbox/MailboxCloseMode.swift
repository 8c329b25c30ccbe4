import Handoff
import HandoffSystem
/// What ``Mailbox/close(_:)`` does with the messages the mailbox still holds.
public enum MailboxCloseMode: Sendable, Equatable {
    /// Consumers receive every message still pending (and any given back unacknowledged); then
    /// ``MailboxConsumer/next()`` returns `nil`.
    case drain
    /// Pending messages are dropped (``Mailbox/close(_:)`` returns them), and so is any message
    /// a consumer gives back unacknowledged from now on; ``MailboxConsumer/next()`` returns
    /// `nil` at once.
    case discard
}
