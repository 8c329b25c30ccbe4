import Synchronization
import Handoff
import HandoffSystem

/// A bounded queue of messages between many producers and one or more consumers, in which a
/// message is removed only when a consumer acknowledges it.
///
/// The mailbox belongs to whoever made it — typically the supervisor of its consumers — not to
/// a consumer: a consumer that fails does not close it, and the messages that consumer held
/// unacknowledged are delivered again, before any newer one.
///
/// ```swift
/// let jobs = try Mailbox<Job>(name: "jobs", capacity: 10_000)
/// try await jobs.send(job)                 // waits while the mailbox is full
/// try jobs.trySend(job)                    // or fails fast: HandoffError.Code.mailboxFull
///
/// // A worker, restarted by its supervisor when it throws:
/// try await jobs.consume { consumer in
///     while let delivery = try await consumer.next() {
///         try await perform(delivery.message)  // throws: the job is delivered again
///         consumer.acknowledge(delivery)
///     }
/// }
/// ```
///
/// **What "a consumer fails" means.** A consumer is one ``consume(isolation:_:)`` scope. Every message
/// received through it and not acknowledged when the scope ends — its body threw, its task was
/// cancelled, or it returned — goes back to the head of the mailbox, in sequence order, and is
/// delivered again (``Delivery/attempt`` counts the deliveries). So a worker that crashes
/// mid-message loses nothing, and one whose acknowledgement is the last thing it does after the
/// work processes each message once as long as it does not crash in between.
///
/// **Capacity** bounds the messages held: pending plus delivered-but-unacknowledged. ``send(_:)``
/// waits for room (backpressure), in the order the senders came; ``trySend(_:)`` throws
/// ``HandoffError/Code/mailboxFull`` instead.
///
/// **Closing** (``close(_:)``) refuses new messages with ``HandoffError/Code/mailboxClosed``.
/// ``MailboxCloseMode/drain`` lets consumers take what is left; ``MailboxCloseMode/discard``
/// drops it.
///
/// **Graceful stop.** Inside a service or a supervised child, ``MailboxConsumer/next()``
/// returns `nil` once the ``StopSignal`` is triggered: the consumer finishes the message it holds
/// and ends, and the rest stays in the mailbox.
///
/// **Upgrades.** A mailbox of `Codable` messages is ``HandoffAware``: register it with the
/// upgrader's ``HandoffRegistry`` and its pending and unacknowledged messages go to the
/// successor, which delivers them first, in order.
public final class Mailbox<Message: Sendable>: Sendable {
    /// The mailbox's name: in errors, and the ``HandoffAware/handoffKey`` of its state.
    public let name: String
    /// How many messages it holds at most (pending plus unacknowledged).
    public let capacity: Int
    @usableFromInline package let state: Mutex<MailboxQueue<Message>>
    /// Numbers the waiters.
    let tokens = Atomic<Int>(0)
    /// Where messages go after their last failed attempt; `nil`: they are delivered again for ever.
    public let deadLetters: DeadLetterPolicy<Message>?
    private let deadLettered = Atomic<Int>(0)

    /// Creates an empty, open mailbox.
    /// - Parameters:
    ///   - name: Its name; distinct for each mailbox whose messages are handed over.
    ///   - capacity: How many messages it holds at most, pending and unacknowledged together.
    ///   - deadLetters: What to do with a message whose handling keeps failing (see
    ///     ``DeadLetterPolicy``); `nil` to deliver it again for ever.
    /// - Throws: ``HandoffError/Code/invalidArgument`` if `capacity` is below 1.
    public init(name: String = "mailbox", capacity: Int, deadLetters: DeadLetterPolicy<Message>? = nil) throws(HandoffError) {
        guard capacity >= 1 else {
            throw HandoffError(.invalidArgument, "mailbox \(name): capacity must be at least 1, not \(capacity)")
        }
        self.name = name
        self.capacity = capacity
        self.deadLetters = deadLetters
        self.state = Mutex(MailboxQueue(capacity: capacity, name: name))
    }

    /// How many messages went to the dead letter.
    public var deadLetterCount: Int { deadLettered.load(ordering: .relaxed) }

    func countDeadLetter() { deadLettered.add(1, ordering: .relaxed) }

    /// Adds `message`, waiting while the mailbox is full.
    ///
    /// Waiting senders are admitted in the order they came, as acknowledgements make room.
    /// - Parameter message: The message.
    /// - Throws: ``HandoffError/Code/mailboxClosed`` if the mailbox is (or becomes) closed;
    ///   `CancellationError` if the task is cancelled while waiting. The message was not added
    ///   in either case.
    @inlinable
    public func send(_ message: Message) async throws {
        let decision = state.withLock { $0.send(message) }
        switch decision {
        case .enqueued: return
        case .delivered(let receiver, let delivery): receiver.resume(returning: delivery)
        case .refused(let error): throw error
        case .mustWait: try await sendWaiting(message)
        }
    }

    /// Adds `message` if there is room now; never waits.
    /// - Parameter message: The message.
    /// - Throws: ``HandoffError/Code/mailboxFull`` if the mailbox is full (or senders wait
    ///   before this one), ``HandoffError/Code/mailboxClosed`` if it is closed,
    ///   ``HandoffError/Code/mailboxHandedOver`` while its messages are being handed to a
    ///   successor. The message was not added.
    @inlinable
    public func trySend(_ message: Message) throws(HandoffError) {
        let decision = state.withLock { state -> (MailboxQueue<Message>.SendDecision, HandoffError?) in
            let decision = state.send(message)
            if case .mustWait = decision { return (decision, state.refusal) }
            return (decision, nil)
        }
        switch decision {
        case (.enqueued, _): return
        case (.delivered(let receiver, let delivery), _): receiver.resume(returning: delivery)
        case (.refused(let error), _): throw error
        case (.mustWait, let refusal): throw refusal ?? HandoffError(.mailboxFull, "mailbox \(name) is full")
        }
    }

    /// Runs `body` as one consumer of the mailbox; when it ends, however it ends, the messages
    /// it received and did not acknowledge are given back, ahead of newer ones.
    /// - Parameters:
    ///   - isolation: The caller's isolation, which `body` runs in.
    ///   - body: Receives with ``MailboxConsumer/next()`` and acknowledges.
    /// - Returns: What `body` returns.
    /// - Throws: What `body` throws (its unacknowledged messages are given back first).
    public func consume<Result>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (MailboxConsumer<Message>) async throws -> Result
    ) async rethrows -> Result {
        let consumer = MailboxConsumer(mailbox: self, id: state.withLock { $0.makeConsumer() }, stop: StopSignal.current)
        defer { release(consumer.id) }
        return try await body(consumer)
    }

    /// Consumes messages one at a time, acknowledging each once `handler` returns, until the
    /// mailbox is closed and drained or a graceful stop is requested.
    ///
    /// If `handler` throws, the message goes back to the head of the mailbox and the error is
    /// rethrown: under a ``Supervisor``, the restarted worker gets it first. With a
    /// ``DeadLetterPolicy`` the error is reported as transient instead and the consumer goes on
    /// (``MailboxConsumer/retry(_:after:)``): the message is tried again, and after its last
    /// attempt goes to the dead letter.
    /// - Parameters:
    ///   - isolation: The caller's isolation, which `handler` runs in.
    ///   - handler: Handles one delivery.
    /// - Throws: What `handler` throws; `CancellationError` if the task is cancelled.
    public func process(
        isolation: isolated (any Actor)? = #isolation,
        _ handler: (Delivery<Message>) async throws -> Void
    ) async throws {
        try await consume { consumer in
            while let delivery = try await consumer.next() {
                do {
                    try await handler(delivery)
                } catch where deadLetters != nil && !(error is CancellationError) {
                    try await consumer.retry(delivery, after: error)
                    continue
                }
                consumer.acknowledge(delivery)
            }
        }
    }

    /// Closes the mailbox: no message is accepted from now on, and waiting senders fail with
    /// ``HandoffError/Code/mailboxClosed``. Idempotent; a later ``MailboxCloseMode/discard``
    /// still discards.
    /// - Parameter mode: Whether consumers drain what is left or it is dropped.
    /// - Returns: The messages dropped (``MailboxCloseMode/discard``), in order.
    @discardableResult
    public func close(_ mode: MailboxCloseMode) -> [Message] {
        let closed = state.withLock { $0.close(mode) }
        closed.wakeups.resume()
        return closed.discarded
    }

    /// Whether ``close(_:)`` was called.
    public var isClosed: Bool { state.withLock { $0.closed != nil } }

    /// How many messages it holds, and has passed on.
    public var counts: MailboxCounts { state.withLock { $0.counts } }

    // MARK: For the consumers

    @inlinable
    func acknowledge(_ delivery: Delivery<Message>) -> Bool {
        let (acknowledged, wakeups) = state.withLock { $0.acknowledge(delivery) }
        wakeups?.resume()
        return acknowledged
    }

    package func release(_ consumer: Int) {
        state.withLock { $0.release(consumer: consumer) }.resume()
    }
}
