import Synchronization
import Handoff
import HandoffSystem

/// A request-scoped group of tasks: one fatal error cancels its siblings and is rethrown; a
/// transient one flows to the caller while the others go on.
///
/// Each task sees the scope's ``StopSignal`` (triggered by ``stop()``, or when the enclosing
/// service is asked to stop) and reports transient errors with
/// ``RunnerContext/reportTransient(_:)-type.method``, which here goes to the scope's caller instead of the
/// runner:
///
/// ```swift
/// let rows = try await TaskScope.run("query", onTransient: { warnings.append($0) }) { scope in
///     for node in nodes {
///         scope.spawn("node-\(node.id)") {
///             do { try await node.read(range, into: sink) }          // throws: fatal to the query
///             catch let error as MissingSegment { RunnerContext.reportTransient(error) }
///         }
///     }
///     return await sink.rows()
/// }
/// ```
public struct TaskScope: Sendable {
    private enum Message: Sendable {
        case spawn(String, @Sendable () async throws -> Void)
        case failed
    }

    private final class Shared: Sendable {
        let messages: AsyncStream<Message>.Continuation
        /// Tasks not yet ended, the body counted as one; the scope closes at zero.
        let outstanding = Mutex(1)
        let firstError = Mutex<(any Error)?>(nil)

        init(_ messages: AsyncStream<Message>.Continuation) { self.messages = messages }

        func taskEnded() {
            let closed = outstanding.withLock { count in
                count -= 1
                return count == 0
            }
            if closed { messages.finish() }
        }
    }

    /// The scope's name, which prefixes its tasks' names in failure reports.
    public let name: String
    /// The graceful stop request of every task in the scope.
    public let stopSignal: StopSignal
    private let shared: Shared

    /// Starts `operation` as a task of the scope.
    ///
    /// Call it from the body or from a task of the scope, before they return. An error it
    /// throws is fatal: every other task is cancelled and ``run(_:onTransient:_:)`` rethrows it.
    /// - Parameters:
    ///   - name: The task's name, for failure reports.
    ///   - operation: The work.
    public func spawn(_ name: String, _ operation: @escaping @Sendable () async throws -> Void) {
        shared.outstanding.withLock { $0 += 1 }
        if case .terminated = shared.messages.yield(.spawn(name, operation)) { shared.taskEnded() }
    }

    /// Asks every task of the scope to finish gracefully (triggers ``stopSignal``).
    public func stop() { stopSignal.trigger() }

    /// Runs `body` with a new scope and waits until it and every task it spawned have ended.
    /// - Parameters:
    ///   - name: The scope's name.
    ///   - onTransient: Called with each transient error a task reports, as it is reported.
    ///   - body: Spawns the tasks and returns the scope's result.
    /// - Returns: What `body` returns.
    /// - Throws: The first error a task or `body` threw, after every other task was cancelled
    ///   and has ended.
    public static func run<Result: Sendable>(
        _ name: String = "scope",
        onTransient: @escaping @Sendable (ServiceFailure) -> Void = { _ in },
        _ body: @escaping @Sendable (TaskScope) async throws -> Result
    ) async throws -> Result {
        let (messages, continuation) = AsyncStream<Message>.makeStream()
        let shared = Shared(continuation)
        let signal = StopSignal()
        let parent = RunnerContext.current
        let token = parent?.stopSignal.onTrigger { signal.trigger() }
        defer { if let token { parent?.stopSignal.removeHandler(token) } }
        let scope = TaskScope(name: name, stopSignal: signal, shared: shared)
        let result = Mutex<Result?>(nil)

        func context(_ task: String) -> RunnerContext {
            RunnerContext(name: "\(parent?.name ?? name)/\(task)", service: parent?.service ?? name, stopSignal: signal, runner: parent?.runner, index: parent?.index ?? -1, sink: onTransient)
        }
        func guarded(_ task: String, _ work: @escaping @Sendable () async throws -> Void) -> @Sendable () async -> Void {
            let context = context(task)
            return {
                do {
                    try await RunnerContext.$current.withValue(context) {
                        try await StopSignal.$current.withValue(signal, operation: work)
                    }
                } catch {
                    shared.firstError.withLock { first in
                        if first == nil { first = error }
                    }
                    shared.messages.yield(.failed)
                }
                shared.taskEnded()
            }
        }

        await withDiscardingTaskGroup { group in
            group.addTask(operation: guarded("body") {
                let value = try await body(scope)
                result.withLock { $0 = value }
            })
            for await message in messages {
                switch message {
                case .spawn(let task, let operation):
                    group.addTask(operation: guarded(task, operation))
                case .failed:
                    group.cancelAll()
                }
            }
        }
        if let error = shared.firstError.withLock({ $0 }) { throw error }
        guard let value = result.withLock({ $0 }) else { throw CancellationError() }
        return value
    }
}
