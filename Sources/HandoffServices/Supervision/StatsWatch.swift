import Synchronization
import Handoff
import HandoffSystem

/// The latest value of something, for any number of watchers: each subscription starts with
/// the current value and then gets every change, keeping only the newest one a slow watcher has
/// not read yet.
final class StatsWatch<Value: Sendable>: Sendable {
    private struct State {
        var value: Value
        var next = 0
        var subscribers: [Int: AsyncStream<Value>.Continuation] = [:]
    }

    private let state: Mutex<State>

    init(_ value: Value) { state = Mutex(State(value: value)) }

    var value: Value { state.withLock { $0.value } }

    func subscribe() -> AsyncStream<Value> {
        let (stream, continuation) = AsyncStream<Value>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id = state.withLock { state in
            defer { state.next += 1 }
            state.subscribers[state.next] = continuation
            continuation.yield(state.value)
            return state.next
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Sets the value and passes it on; yielding under the lock keeps publishers in order.
    func publish(_ value: Value) {
        state.withLock { state in
            state.value = value
            for subscriber in state.subscribers.values { subscriber.yield(value) }
        }
    }

    /// Ends every current subscription (after the value they have not read yet).
    func finishSubscribers() {
        let subscribers = state.withLock { state in
            defer { state.subscribers = [:] }
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers { subscriber.finish() }
    }
}
