import Handoff
import HandoffSystem
// Transient per-message failures and dead letters.
extension MailboxConsumer {
    /// Reports that handling `delivery` failed for now, without failing the consumer: the
    /// message goes back to the head of the mailbox for another attempt and the consumer goes
    /// on. Once it has had the mailbox's ``DeadLetterPolicy/maxAttempts`` it goes to the dead
    /// letter instead and is removed. The failure is reported as transient to the runner or
    /// supervisor the consumer runs in.
    ///
    /// Without a dead-letter policy the message is simply given back (and may come back for
    /// ever: give the mailbox a policy if a message can fail every time).
    /// - Parameters:
    ///   - delivery: A delivery this consumer holds.
    ///   - error: Why it failed.
    /// - Returns: `true` if the message went to the dead letter, `false` if it was given back
    ///   (or was not this consumer's).
    /// - Throws: What the dead-letter destination throws; the message then stays this
    ///   consumer's, unacknowledged, and is given back when the consumer ends.
    @discardableResult
    public func retry(_ delivery: Delivery<Message>, after error: any Error) async throws -> Bool {
        guard delivery.consumer == id else { return false }
        RunnerContext.reportTransient(error)
        if let policy = mailbox.deadLetters, delivery.attempt >= policy.maxAttempts {
            try await policy.destination(DeadLetter(message: delivery.message, mailbox: mailbox.name, attempts: delivery.attempt, error: error))
            policy.counter?.increment(labels: ["mailbox": mailbox.name])
            mailbox.countDeadLetter()
            acknowledge(delivery)
            return true
        }
        mailbox.state.withLock { $0.giveBack(delivery) }.resume()
        return false
    }
}

extension MailboxQueue {
    /// Puts one in-flight message back at the head, its attempts kept.
    mutating func giveBack(_ delivery: Delivery<Message>) -> Wakeups {
        guard let held = inFlight[delivery.sequence], held.consumer == delivery.consumer else { return Wakeups() }
        inFlight.removeValue(forKey: delivery.sequence)
        guard closed != .discard else { return settle() }
        returnedCount += 1
        insertReturned(Entry(sequence: delivery.sequence, message: held.message, attempts: held.attempts))
        return settle()
    }
}
