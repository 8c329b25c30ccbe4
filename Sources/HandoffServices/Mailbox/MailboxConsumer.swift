import Synchronization
import Handoff
import HandoffSystem

/// One consumer of a ``Mailbox``, for the length of a ``Mailbox/consume(isolation:_:)`` scope: it
/// receives messages and acknowledges them; what it has not acknowledged when the scope ends is
/// delivered again.
public struct MailboxConsumer<Message: Sendable>: Sendable {
    /// The mailbox.
    public let mailbox: Mailbox<Message>
    /// Tells this consumer's deliveries from another's.
    @usableFromInline package let id: Int
    /// The graceful stop of the service or child the scope runs in.
    @usableFromInline let stop: StopSignal?

    package init(mailbox: Mailbox<Message>, id: Int, stop: StopSignal?) {
        self.mailbox = mailbox
        self.id = id
        self.stop = stop
    }

    /// The next message: a message given back by a consumer that ended, first, then the oldest
    /// one never delivered. Waits while there is none.
    /// - Returns: The delivery; `nil` once the mailbox is closed and nothing is left for this
    ///   consumer (or, with ``MailboxCloseMode/drain``, once no other consumer holds a message it
    ///   could give back), or once a graceful stop is requested for the service or supervised
    ///   child this runs in.
    /// - Throws: `CancellationError` if the task is cancelled while waiting.
    @inlinable
    public func next() async throws -> Delivery<Message>? {
        if let stop, stop.isTriggered { return nil }
        switch mailbox.state.withLock({ $0.receive(consumer: id) }) {
        case .delivery(let delivery): return delivery
        case .end: return nil
        case .mustWait: return try await mailbox.receiveWaiting(consumer: id, stop: stop)
        }
    }

    /// The next messages, for handling in a batch: waits for one as ``next()`` does, then takes
    /// up to `limit` in all of those pending, without waiting for more.
    /// - Parameter limit: How many at most; at least 1.
    /// - Returns: The deliveries, in order; empty where ``next()`` returns `nil`.
    /// - Throws: `CancellationError` if the task is cancelled while waiting.
    public func next(upTo limit: Int) async throws -> [Delivery<Message>] {
        guard let first = try await next() else { return [] }
        var batch = [first]
        while batch.count < limit, case .delivery(let delivery) = mailbox.state.withLock({ $0.receive(consumer: id) }) {
            batch.append(delivery)
        }
        return batch
    }

    /// Removes the message from the mailbox: it will not be delivered again.
    /// - Parameter delivery: A delivery this consumer received.
    /// - Returns: Whether it was still held by this consumer (`false` if it was acknowledged
    ///   already, or came from another consumer).
    @inlinable @discardableResult
    public func acknowledge(_ delivery: Delivery<Message>) -> Bool {
        delivery.consumer == id && mailbox.acknowledge(delivery)
    }
}
