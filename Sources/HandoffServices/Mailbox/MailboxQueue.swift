import Handoff
import HandoffSystem
/// The ``Mailbox``'s state and decisions, kept behind its lock; the continuations it hands back
/// are resumed by the caller once the lock is released.
///
/// A message is in exactly one place from the send that accepts it to the acknowledgement that
/// removes it: `fresh` (never delivered, in sequence order), `returned` (given back by a consumer
/// that ended, sorted so the lowest sequence comes out first) or `inFlight` (delivered, by
/// sequence). Every sequence in `returned` is lower than every one in `fresh` — a message is
/// delivered before any later one, and restored messages are numbered below everything — so
/// taking from `returned` first delivers pending messages in sequence order.
///
/// The hot path (send, receive, acknowledge) is inlinable, so it is specialized for the client's
/// message type; the rest lives in `MailboxQueue+Waiting.swift`.
@usableFromInline
package struct MailboxQueue<Message: Sendable> {
    @usableFromInline typealias Receiver = UnsafeContinuation<Delivery<Message>?, any Error>
    @usableFromInline typealias Sender = UnsafeContinuation<Void, any Error>

    @usableFromInline
    struct Entry {
        @usableFromInline var sequence: Int
        @usableFromInline var message: Message
        /// Deliveries so far.
        @usableFromInline var attempts: Int

        @inlinable
        init(sequence: Int, message: Message, attempts: Int) {
            self.sequence = sequence
            self.message = message
            self.attempts = attempts
        }
    }

    @usableFromInline
    struct Held {
        @usableFromInline var message: Message
        @usableFromInline var consumer: Int
        @usableFromInline var attempts: Int

        @inlinable
        init(message: Message, consumer: Int, attempts: Int) {
            self.message = message
            self.consumer = consumer
            self.attempts = attempts
        }
    }

    @usableFromInline
    struct WaitingReceiver {
        @usableFromInline var token: Int
        @usableFromInline var consumer: Int
        @usableFromInline var continuation: Receiver
    }

    @usableFromInline
    struct WaitingSender {
        @usableFromInline var token: Int
        @usableFromInline var message: Message
        @usableFromInline var continuation: Sender
    }

    /// Continuations to resume once the lock is released.
    @usableFromInline
    struct Wakeups {
        var receivers: [(Receiver, Result<Delivery<Message>?, any Error>)] = []
        var senders: [(Sender, Result<Void, any Error>)] = []

        init() {}

        @usableFromInline
        func resume() {
            for (continuation, result) in receivers { continuation.resume(with: result) }
            for (continuation, result) in senders { continuation.resume(with: result) }
        }
    }

    @usableFromInline
    enum SendDecision {
        case enqueued
        case delivered(Receiver, Delivery<Message>)
        case mustWait
        case refused(HandoffError)
    }

    @usableFromInline
    enum ReceiveDecision {
        case delivery(Delivery<Message>)
        case end
        case mustWait
    }

    /// Why a waiter was ended before it was registered.
    enum Early {
        case cancelled
        case stopped
    }

    let capacity: Int
    let name: String
    @usableFromInline var fresh = MailboxRing<Entry>()
    /// Sorted by decreasing sequence: the last element is delivered next.
    @usableFromInline var returned: [Entry] = []
    @usableFromInline var inFlight: [Int: Held] = [:]
    @usableFromInline var receivers = MailboxRing<WaitingReceiver>()
    @usableFromInline var senders = MailboxRing<WaitingSender>()
    @usableFromInline var closed: MailboxCloseMode?
    @usableFromInline var sealed = false
    @usableFromInline var nextSequence = 0
    /// Restored messages are numbered below this.
    var lowestSequence = 0
    var nextConsumer = 0
    var early: [Int: Early] = [:]
    @usableFromInline var delivered = 0
    @usableFromInline var acknowledged = 0
    var returnedCount = 0
    /// `capacity`, where the inlinable code can read it.
    @usableFromInline var limit: Int

    init(capacity: Int, name: String) {
        self.capacity = capacity
        self.limit = capacity
        self.name = name
        inFlight.reserveCapacity(min(capacity, 1024))
    }

    @inlinable var held: Int { fresh.count &+ returned.count &+ inFlight.count }
    var pending: Int { fresh.count + returned.count }

    var counts: MailboxCounts {
        MailboxCounts(pending: pending, inFlight: inFlight.count, delivered: delivered, acknowledged: acknowledged, returned: returnedCount)
    }

    package mutating func makeConsumer() -> Int {
        defer { nextConsumer += 1 }
        return nextConsumer
    }

    /// Accepts `message` if there is room and nothing stands in the way.
    @inlinable
    mutating func send(_ message: Message) -> SendDecision {
        if closed != nil { return .refused(closedError) }
        guard !sealed, held < limit, senders.isEmpty else { return .mustWait }
        let sequence = nextSequence
        nextSequence &+= 1
        if let receiver = receivers.popFirst() {
            return .delivered(receiver.continuation, deliver(Entry(sequence: sequence, message: message, attempts: 0), to: receiver.consumer))
        }
        fresh.append(Entry(sequence: sequence, message: message, attempts: 0))
        return .enqueued
    }

    @inlinable
    mutating func receive(consumer: Int) -> ReceiveDecision {
        if !sealed, let entry = returned.popLast() ?? fresh.popFirst() {
            return .delivery(deliver(entry, to: consumer))
        }
        if closed == nil { return .mustWait }
        return hasEnded(for: consumer) ? .end : .mustWait
    }

    @inlinable
    mutating func deliver(_ entry: Entry, to consumer: Int) -> Delivery<Message> {
        let attempts = entry.attempts &+ 1
        inFlight[entry.sequence] = Held(message: entry.message, consumer: consumer, attempts: attempts)
        delivered &+= 1
        return Delivery(message: entry.message, sequence: entry.sequence, attempt: attempts, consumer: consumer)
    }

    /// Removes the message `delivery` names if its consumer still holds it.
    @inlinable
    mutating func acknowledge(_ delivery: Delivery<Message>) -> (Bool, Wakeups?) {
        guard let held = inFlight.removeValue(forKey: delivery.sequence) else { return (false, nil) }
        guard held.consumer == delivery.consumer else {
            inFlight[delivery.sequence] = held
            return (false, nil)
        }
        acknowledged &+= 1
        if senders.isEmpty && closed == nil { return (true, nil) }
        return (true, settle())
    }
}
