import Handoff
import HandoffSystem
/// A message a ``Mailbox`` gave up on: every one of its attempts failed.
public struct DeadLetter<Message: Sendable>: Sendable {
    /// The message.
    public let message: Message
    /// The mailbox it came from.
    public let mailbox: String
    /// How many times it was delivered.
    public let attempts: Int
    /// What the last attempt failed with.
    public let error: any Error
}

/// What a ``Mailbox`` does with a poison message: one whose handling fails every time.
///
/// Without a policy a failing message is delivered again for ever, and under a ``Supervisor``
/// each failure restarts the worker until the restart intensity is exceeded. With one, a failure
/// is reported as transient (``MailboxConsumer/retry(_:after:)``; ``Mailbox/process(isolation:_:)``
/// does it for a handler that throws), the worker goes on, and after ``maxAttempts`` deliveries
/// the message goes to the dead-letter destination and is removed:
///
/// ```swift
/// let failed = try Mailbox<Job>(name: "jobs.dead", capacity: 1_000)
/// let jobs = try Mailbox<Job>(name: "jobs", capacity: 10_000,
///                             deadLetters: .mailbox(failed, maxAttempts: 5, metrics: runner.metrics))
/// ```
///
/// Each dead letter counts in `handoff_mailbox_dead_letters_total{mailbox="jobs"}` when a
/// registry is given.
public struct DeadLetterPolicy<Message: Sendable>: Sendable {
    /// Deliveries a message gets before it goes to the dead letter; at least 1.
    public let maxAttempts: Int
    let destination: @Sendable (DeadLetter<Message>) async throws -> Void
    let counter: CounterMetric?

    /// Dead letters go to `handler`.
    /// - Parameters:
    ///   - maxAttempts: Deliveries before giving up (values below 1 count as 1).
    ///   - metrics: Where to count dead letters; `nil` for nowhere.
    ///   - handler: Takes each dead letter. If it throws, the message stays undelivered in the
    ///     mailbox and the error is the consumer's (a supervised worker is restarted).
    /// - Returns: The policy.
    public static func handler(
        maxAttempts: Int, metrics: MetricsRegistry? = nil,
        _ handler: @escaping @Sendable (DeadLetter<Message>) async throws -> Void
    ) -> DeadLetterPolicy {
        DeadLetterPolicy(maxAttempts: max(1, maxAttempts), destination: handler, counter: metrics.map(Self.counter))
    }

    /// Dead letters' messages go to `mailbox` (waiting while it is full).
    /// - Parameters:
    ///   - mailbox: Where they go.
    ///   - maxAttempts: Deliveries before giving up (values below 1 count as 1).
    ///   - metrics: Where to count dead letters; `nil` for nowhere.
    /// - Returns: The policy.
    public static func mailbox(_ mailbox: Mailbox<Message>, maxAttempts: Int, metrics: MetricsRegistry? = nil) -> DeadLetterPolicy {
        handler(maxAttempts: maxAttempts, metrics: metrics) { try await mailbox.send($0.message) }
    }

    private static func counter(_ metrics: MetricsRegistry) -> CounterMetric {
        metrics.counter("handoff_mailbox_dead_letters_total", help: "Messages given up on after their last delivery attempt failed.")
    }
}
