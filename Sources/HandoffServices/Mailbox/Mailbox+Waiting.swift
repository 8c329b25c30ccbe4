import Synchronization
import Handoff
import HandoffSystem

// The slow paths: a sender waiting for room, a receiver waiting for a message. Each waiter
// gets a token first, so that a cancellation (or a graceful stop) that comes before its
// continuation is registered is not lost.
extension Mailbox {
    @usableFromInline
    func sendWaiting(_ message: Message) async throws {
        let token = tokens.add(1, ordering: .relaxed).oldValue
        try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Void, any Error>) in
                state.withLock { $0.sendOrWait(message, token: token, continuation: continuation) }.resume()
            }
        } onCancel: {
            state.withLock { $0.cancelSender(token) }?.resume(throwing: CancellationError())
        }
        // Only a cancellation can have left an entry behind (cancellation is sticky).
        if Task.isCancelled { state.withLock { $0.forget(token) } }
    }

    @usableFromInline
    func receiveWaiting(consumer: Int, stop: StopSignal?) async throws -> Delivery<Message>? {
        let token = tokens.add(1, ordering: .relaxed).oldValue
        let handler = stop?.onTrigger { [weak self] in
            self?.state.withLock { $0.endReceiver(token, .stopped) }?.resume(returning: nil)
        }
        defer {
            if let handler, let stop { stop.removeHandler(handler) }
            // Only a cancellation or a stop can have left an entry behind (both are sticky).
            if Task.isCancelled || stop?.isTriggered == true { state.withLock { $0.forget(token) } }
        }
        return try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Delivery<Message>?, any Error>) in
                state.withLock { $0.receiveOrWait(consumer: consumer, token: token, continuation: continuation) }.resume()
            }
        } onCancel: {
            state.withLock { $0.endReceiver(token, .cancelled) }?.resume(throwing: CancellationError())
        }
    }
}
