import Handoff
import HandoffSystem
/// Waits for work that may never end, for a bounded time.
///
/// A task group always waits for its children, so a child that ignores cancellation holds its
/// parent for ever. What the runner calls in a service (initialize, run, checks, requestStop)
/// may do exactly that; `Abandonable` runs it in a task of its own and, past the deadline,
/// cancels it and stops waiting. The abandoned task keeps whatever it holds until it ends, or
/// until the process exits: the price of never hanging.
enum Abandonable {
    /// Runs `body` in its own task and waits at most `timeout` for its result.
    /// - Parameters:
    ///   - timeout: How long to wait.
    ///   - body: The work; it inherits the caller's task-local values.
    /// - Returns: What `body` returned, or `nil` if it did not return in time (it is then
    ///   cancelled and left to end on its own) or the caller was cancelled first.
    static func run<Value: Sendable>(within timeout: Duration, _ body: @escaping @Sendable () async -> Value) async -> Value? {
        let outcome = AsyncLatch<Value?>()
        let work = Task {
            let value = await body()
            outcome.fulfill(value)
        }
        let timer = Task {
            try? await Task.sleep(for: timeout)
            outcome.fulfill(nil)
        }
        let value = (try? await outcome.wait()) ?? nil
        timer.cancel()
        if value == nil { work.cancel() }
        return value
    }

    /// Waits for `latch` at most `timeout`.
    /// - Returns: Whether it was fulfilled in time.
    static func wait(for latch: AsyncLatch<Void>, within timeout: Duration) async -> Bool {
        await withTaskGroup(of: Bool.self) { race in
            race.addTask {
                (try? await latch.wait()) != nil
            }
            race.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await race.next() ?? false
            race.cancelAll()
            return first
        }
    }
}
