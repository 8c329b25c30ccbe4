import Handoff
import HandoffSystem
// The MailboxQueue's slower paths: waiters, giving back, closing, sealing, restoring.
extension MailboxQueue {
    // MARK: Sending

    /// Why a send that cannot be accepted at once fails fast.
    @usableFromInline var refusal: HandoffError {
        if closed != nil { return closedError }
        if sealed { return HandoffError(.mailboxHandedOver, "mailbox \(name) handed its messages over; it accepts none until that handover is abandoned") }
        return HandoffError(.mailboxFull, "mailbox \(name) holds \(held) messages; its capacity is \(capacity)")
    }

    @usableFromInline var closedError: HandoffError { HandoffError(.mailboxClosed, "mailbox \(name) is closed") }

    /// Sends or queues a waiting sender; returns what to resume (the sender itself if it was
    /// decided at once).
    mutating func sendOrWait(_ message: Message, token: Int, continuation: Sender) -> Wakeups {
        var wakeups = Wakeups()
        if early.removeValue(forKey: token) != nil {
            wakeups.senders.append((continuation, .failure(CancellationError())))
            return wakeups
        }
        switch send(message) {
        case .enqueued:
            wakeups.senders.append((continuation, .success(())))
        case .delivered(let receiver, let delivery):
            wakeups.receivers.append((receiver, .success(delivery)))
            wakeups.senders.append((continuation, .success(())))
        case .refused(let error):
            wakeups.senders.append((continuation, .failure(error)))
        case .mustWait:
            senders.append(WaitingSender(token: token, message: message, continuation: continuation))
        }
        return wakeups
    }

    mutating func cancelSender(_ token: Int) -> Sender? {
        if let waiter = senders.remove(where: { $0.token == token }) { return waiter.continuation }
        early[token] = .cancelled
        return nil
    }

    // MARK: Receiving

    /// Whether `consumer` will receive nothing more: the mailbox is closed, nothing is pending,
    /// and no other consumer holds a message it could give back.
    @usableFromInline func hasEnded(for consumer: Int) -> Bool {
        switch closed {
        case nil: return false
        case .discard: return true
        case .drain: return pending == 0 && inFlight.values.allSatisfy { $0.consumer == consumer }
        }
    }

    mutating func receiveOrWait(consumer: Int, token: Int, continuation: Receiver) -> Wakeups {
        var wakeups = Wakeups()
        if let reason = early.removeValue(forKey: token) {
            wakeups.receivers.append((continuation, reason == .cancelled ? .failure(CancellationError()) : .success(nil)))
            return wakeups
        }
        switch receive(consumer: consumer) {
        case .delivery(let delivery): wakeups.receivers.append((continuation, .success(delivery)))
        case .end: wakeups.receivers.append((continuation, .success(nil)))
        case .mustWait: receivers.append(WaitingReceiver(token: token, consumer: consumer, continuation: continuation))
        }
        return wakeups
    }

    /// Ends a waiting receiver: with `CancellationError`, or with `nil` for a graceful stop.
    mutating func endReceiver(_ token: Int, _ reason: Early) -> Receiver? {
        if let waiter = receivers.remove(where: { $0.token == token }) { return waiter.continuation }
        if early[token] == nil || reason == .cancelled { early[token] = reason }
        return nil
    }

    /// Forgets what an ended waiter left behind (its token was never registered).
    mutating func forget(_ token: Int) { early.removeValue(forKey: token) }

    // MARK: Acknowledging and giving back

    /// Gives back every message `consumer` holds, ahead of newer ones (or drops them once the
    /// mailbox was closed with ``MailboxCloseMode/discard``).
    mutating func release(consumer: Int) -> Wakeups {
        let mine = inFlight.filter { $0.value.consumer == consumer }
        guard !mine.isEmpty else { return closed == nil ? Wakeups() : settle() }
        for (sequence, held) in mine {
            inFlight.removeValue(forKey: sequence)
            guard closed != .discard else { continue }
            returnedCount += 1
            insertReturned(Entry(sequence: sequence, message: held.message, attempts: held.attempts))
        }
        return settle()
    }

    mutating func insertReturned(_ entry: Entry) {
        // Decreasing order: find the first index whose sequence is below the entry's.
        var low = 0
        var high = returned.count
        while low < high {
            let middle = (low + high) / 2
            if returned[middle].sequence > entry.sequence { low = middle + 1 } else { high = middle }
        }
        returned.insert(entry, at: low)
    }

    // MARK: Closing, sealing, restoring

    mutating func close(_ mode: MailboxCloseMode) -> (discarded: [Message], wakeups: Wakeups) {
        if closed == .discard { return ([], Wakeups()) }
        closed = mode
        var discarded: [Message] = []
        if mode == .discard {
            discarded = returned.reversed().map(\.message) + fresh.removeAll().map(\.message)
            returned = []
        }
        var wakeups = Wakeups()
        for sender in senders.removeAll() {
            wakeups.senders.append((sender.continuation, .failure(closedError)))
        }
        let settled = settle()
        wakeups.receivers += settled.receivers
        wakeups.senders += settled.senders
        return (discarded, wakeups)
    }

    /// Stops deliveries and sends, and returns every message held — pending and in flight — in
    /// sequence order, with its deliveries so far.
    mutating func seal() -> [(message: Message, attempts: Int)] {
        sealed = true
        var all = returned.map { ($0.sequence, $0.message, $0.attempts) }
        all += inFlight.map { ($0.key, $0.value.message, $0.value.attempts) }
        all += fresh.elements.map { ($0.sequence, $0.message, $0.attempts) }
        return all.sorted { $0.0 < $1.0 }.map { ($0.1, $0.2) }
    }

    mutating func unseal() -> Wakeups {
        sealed = false
        return settle()
    }

    /// Puts restored messages ahead of every message held, in their order.
    mutating func restore(_ messages: [(message: Message, attempts: Int)]) -> Wakeups {
        guard !messages.isEmpty else { return Wakeups() }
        let floor = min(lowestSequence, returned.last?.sequence ?? 0, inFlight.keys.min() ?? 0, fresh.first?.sequence ?? 0)
        lowestSequence = floor - messages.count
        var entries: [Entry] = []
        entries.reserveCapacity(messages.count)
        for (offset, restored) in messages.enumerated().reversed() {
            entries.append(Entry(sequence: lowestSequence + offset, message: restored.message, attempts: restored.attempts))
        }
        returned += entries
        return settle()
    }

    // MARK: Settling

    /// Matches waiting receivers with pending messages, admits waiting senders while there is
    /// room, and ends receivers that will get nothing more.
    @usableFromInline mutating func settle() -> Wakeups {
        var wakeups = Wakeups()
        guard !sealed else { return wakeups }
        while true {
            while !receivers.isEmpty, let entry = returned.popLast() ?? fresh.popFirst() {
                let receiver = receivers.popFirst()!
                wakeups.receivers.append((receiver.continuation, .success(deliver(entry, to: receiver.consumer))))
            }
            guard closed == nil, held < capacity, let sender = senders.popFirst() else { break }
            let sequence = nextSequence
            nextSequence += 1
            fresh.append(Entry(sequence: sequence, message: sender.message, attempts: 0))
            wakeups.senders.append((sender.continuation, .success(())))
        }
        if closed != nil && !receivers.isEmpty {
            var waiting: [WaitingReceiver] = []
            while let receiver = receivers.popFirst() {
                if hasEnded(for: receiver.consumer) {
                    wakeups.receivers.append((receiver.continuation, .success(nil)))
                } else {
                    waiting.append(receiver)
                }
            }
            for receiver in waiting { receivers.append(receiver) }
        }
        return wakeups
    }
}
