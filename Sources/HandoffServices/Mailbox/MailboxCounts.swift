import Handoff
import HandoffSystem
/// How many messages a ``Mailbox`` holds and has passed on.
public struct MailboxCounts: Sendable, Equatable, CustomStringConvertible {
    /// Accepted and waiting to be delivered (first time or again).
    public var pending: Int
    /// Delivered and not yet acknowledged.
    public var inFlight: Int
    /// Deliveries made, first ones and repeated ones.
    public var delivered: Int
    /// Messages acknowledged.
    public var acknowledged: Int
    /// Messages given back unacknowledged by a consumer that ended.
    public var returned: Int

    /// ``pending`` plus ``inFlight``: what counts against the capacity.
    public var held: Int { pending + inFlight }

    public var description: String {
        "pending=\(pending) in-flight=\(inFlight) delivered=\(delivered) acknowledged=\(acknowledged) returned=\(returned)"
    }
}
