import Synchronization
import Handoff
import HandoffSystem

/// An unbounded queue of events with one consumer that, unlike an `AsyncStream`, keeps
/// delivering after the consuming task is cancelled: the runner must see its services finish
/// even while it is being cancelled.
final class RunnerMailbox<Event: Sendable>: Sendable {
    private struct State {
        var queue: [Event] = []
        var head = 0
        var waiter: CheckedContinuation<Event, Never>?
    }

    private let state = Mutex(State())

    /// Queues `event`, or hands it to the waiting consumer.
    func post(_ event: Event) {
        let waiter = state.withLock { state -> CheckedContinuation<Event, Never>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.queue.append(event)
            return nil
        }
        waiter?.resume(returning: event)
    }

    /// The next event, waiting for one if none is queued. One consumer at a time.
    func next() async -> Event {
        await withCheckedContinuation { continuation in
            let event = state.withLock { state -> Event? in
                guard state.head < state.queue.count else {
                    state.waiter = continuation
                    return nil
                }
                let event = state.queue[state.head]
                state.head += 1
                if state.head == state.queue.count {
                    state.queue.removeAll(keepingCapacity: true)
                    state.head = 0
                }
                return event
            }
            if let event { continuation.resume(returning: event) }
        }
    }
}
