import HandoffSystem

// The runner's one operation for an upgrade, kept generic: take the services after a boundary
// down in reverse order, and bring them back up in order if the caller changes its mind.
// `UpgraderService` is its caller; what it hands over is its own business.
extension ServiceRunner {
    /// How a drain takes one service down in place of its stop. The service's task keeps
    /// running; a throw fails the drain. Runs on a task of the runner's, and may be cancelled.
    package typealias DrainStep = @Sendable () async throws -> Void
    /// What a resume runs before the drained services start again, on the runner's coordinator.
    package typealias HandBack = @Sendable () async -> Void

    /// Takes the services after `boundary` down one at a time in reverse order: each with its
    /// step in `steps`, or with its graceful stop (its stop deadline and grace apply). The
    /// runner is not ready (``notReadyReason`` is "draining `purpose`") until ``resume(handingBack:)``
    /// or a stop. A stop requested meanwhile waits until the drain ends or resumes.
    /// - Parameters:
    ///   - boundary: The index of the last service that stays up (-1 for none).
    ///   - purpose: Why, for the log and ``notReadyReason`` ("for an upgrade").
    ///   - steps: By service index, how a service is drained instead of stopped.
    /// - Throws: ``HandoffError/Code/drainFailed`` if the runner is not running, starts to
    ///   stop, or a step throws; also when the calling task is cancelled.
    package func drain(after boundary: Int, purpose: String, steps: [Int: DrainStep]) async throws {
        let mailbox = self.mailbox
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (waiter: CheckedContinuation<Void, any Error>) in
                mailbox.post(.drain(boundary: boundary, purpose: purpose, steps: steps, waiter))
            }
        } onCancel: {
            mailbox.post(.drainCancelled)
        }
    }

    /// Undoes a drain (a failed upgrade): runs `handBack`, marks the services drained by a step
    /// running again, and starts the stopped ones in order. Returns once every service runs
    /// again, or the runner stops; during a stop `handBack` does not run (what the drain gave
    /// away stays given away). If the drain is still under way, the resume follows its end.
    /// - Parameter handBack: What to do before the services come back, such as returning the
    ///   step-drained services what their steps took.
    package func resume(handingBack handBack: @escaping HandBack) async {
        let mailbox = self.mailbox
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            mailbox.post(.resume(handBack: handBack, waiter))
        }
    }

    /// Whether the runner's ordered stop has begun (or ended).
    package var isStopping: Bool {
        machine.withLock { $0.phase == .stopping || $0.phase == .finished }
    }
}
