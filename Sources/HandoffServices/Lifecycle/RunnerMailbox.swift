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
        /// Set once the consumer is gone: what is posted from then on goes here.
        var closed: (@Sendable (Event) -> Void)?
    }

    private let state = Mutex(State())

    private enum Delivery {
        case queued
        case waiter(CheckedContinuation<Event, Never>)
        case closed(@Sendable (Event) -> Void)
    }

    /// Queues `event`, or hands it to the waiting consumer (or, once closed, to the closing
    /// handler).
    func post(_ event: Event) {
        let delivery = state.withLock { state -> Delivery in
            if let closed = state.closed { return .closed(closed) }
            if let waiter = state.waiter {
                state.waiter = nil
                return .waiter(waiter)
            }
            state.queue.append(event)
            return .queued
        }
        switch delivery {
        case .queued: break
        case .waiter(let waiter): waiter.resume(returning: event)
        case .closed(let handler): handler(event)
        }
    }

    /// The consumer reads no more: every event still queued, and every one posted from now on,
    /// goes to `handler` instead (to answer whoever waits on it).
    func close(_ handler: @escaping @Sendable (Event) -> Void) {
        let left = state.withLock { state -> [Event] in
            state.closed = handler
            defer { state.queue.removeAll() }
            return Array(state.queue[state.head...])
        }
        left.forEach(handler)
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
