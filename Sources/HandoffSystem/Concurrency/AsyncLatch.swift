import Synchronization

/// A value set once, awaited by any number of tasks; a waiting task can be cancelled.
package final class AsyncLatch<Value: Sendable>: Sendable {
    package init() {}

    private enum Decision { case value(Value), cancelled, wait }

    private struct State {
        var value: Value?
        var waiters: [Int: CheckedContinuation<Value, any Error>] = [:]
        var cancelled: Set<Int> = []
        var next = 0
    }

    private let state = Mutex(State())

    /// Sets the value and wakes every waiter; later calls are ignored.
    package func fulfill(_ value: Value) {
        let waiters = state.withLock { state -> [CheckedContinuation<Value, any Error>] in
            guard state.value == nil else { return [] }
            state.value = value
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume(returning: value) }
    }

    /// The value, once set. Throws `CancellationError` if the task is cancelled first.
    package func wait() async throws -> Value {
        let id = state.withLock { state in
            defer { state.next += 1 }
            return state.next
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let decision = state.withLock { state -> Decision in
                    if let value = state.value { return .value(value) }
                    if state.cancelled.remove(id) != nil { return .cancelled }
                    state.waiters[id] = continuation
                    return .wait
                }
                switch decision {
                case .value(let value): continuation.resume(returning: value)
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .wait: break
                }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Value, any Error>? in
                if let waiter = state.waiters.removeValue(forKey: id) { return waiter }
                if state.value == nil { state.cancelled.insert(id) }
                return nil
            }
            waiter?.resume(throwing: CancellationError())
        }
    }
}
