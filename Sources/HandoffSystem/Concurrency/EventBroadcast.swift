import Synchronization

/// Fans events out to every current subscriber; each gets its own `AsyncStream`.
///
/// A subscriber that stops iterating is removed when its stream terminates. Events are buffered
/// per subscriber (newest 1024 kept) so a slow reader never blocks an upgrade.
package final class EventBroadcast<Event: Sendable>: Sendable {
    package init() {}

    private struct State {
        var next = 0
        var subscribers: [Int: AsyncStream<Event>.Continuation] = [:]
        var finished = false
    }

    private let state = Mutex(State())
    /// Sees every event synchronously, before the subscribers (systemd's reporter, whose
    /// `MAINPID=` must go out before the upgrade returns).
    private let observer = Mutex<(@Sendable (Event) -> Void)?>(nil)

    /// Sets the synchronous observer. It runs on the emitting task: it must not block.
    package func observe(_ handler: @escaping @Sendable (Event) -> Void) {
        observer.withLock { $0 = handler }
    }

    package func subscribe() -> AsyncStream<Event> {
        let (stream, continuation) = AsyncStream<Event>.makeStream(bufferingPolicy: .bufferingNewest(1024))
        let id: Int? = state.withLock { state in
            if state.finished { return nil }
            defer { state.next += 1 }
            state.subscribers[state.next] = continuation
            return state.next
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    package func emit(_ event: Event) {
        observer.withLock { $0 }?(event)
        let subscribers = state.withLock { Array($0.subscribers.values) }
        for subscriber in subscribers { subscriber.yield(event) }
    }

    package func finish() {
        let subscribers = state.withLock { state in
            state.finished = true
            defer { state.subscribers = [:] }
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers { subscriber.finish() }
    }
}
