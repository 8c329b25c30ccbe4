import Synchronization
import Handoff
import HandoffSystem

/// A graceful stop request: "finish what you hold and return".
///
/// Distinct from task cancellation, which means "abort now". The ``ServiceRunner`` gives each
/// service run its own signal and triggers it when that service's turn to stop comes; code
/// anywhere inside the service reaches it through the task-local ``current``, without holding
/// a reference to the runner:
///
/// ```swift
/// func run() async throws {
///     while !StopSignal.isRequested {
///         try await handleNextBatch()
///     }
/// }
/// ```
///
/// ``waitForStop()`` suspends until the stop is requested; ``withStopHandler(_:onStop:)`` calls
/// back; ``cancellingOnStop(_:)`` turns the graceful stop into cancellation for code that only
/// knows cancellation.
public final class StopSignal: Sendable {
    private struct State {
        var triggered = false
        var next = 0
        var waiters: [Int: CheckedContinuation<Void, any Error>] = [:]
        var cancelled: Set<Int> = []
        var handlers: [Int: @Sendable () -> Void] = [:]
    }

    private let state = Mutex(State())

    /// The stop signal of the service (or ``TaskScope``) the current task runs in, if any.
    @TaskLocal public static var current: StopSignal?

    /// Creates a signal that has not been triggered.
    public init() {}

    /// Whether the stop has been requested.
    public var isTriggered: Bool { state.withLock { $0.triggered } }

    /// Requests the stop: wakes every waiter and calls every handler, once. Idempotent, and
    /// callable from any thread.
    public func trigger() {
        let (waiters, handlers) = state.withLock { state -> ([CheckedContinuation<Void, any Error>], [@Sendable () -> Void]) in
            guard !state.triggered else { return ([], []) }
            state.triggered = true
            defer {
                state.waiters = [:]
                state.handlers = [:]
            }
            return (Array(state.waiters.values), state.handlers.sorted { $0.key < $1.key }.map(\.value))
        }
        for waiter in waiters { waiter.resume() }
        for handler in handlers { handler() }
    }

    /// Suspends until the stop is requested.
    /// - Throws: `CancellationError` if the task is cancelled first.
    public func wait() async throws {
        let id = state.withLock { state in
            defer { state.next += 1 }
            return state.next
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                enum Decision { case go, cancelled, wait }
                let decision = state.withLock { state -> Decision in
                    if state.triggered { return .go }
                    if state.cancelled.remove(id) != nil { return .cancelled }
                    state.waiters[id] = continuation
                    return .wait
                }
                switch decision {
                case .go: continuation.resume()
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .wait: break
                }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, any Error>? in
                if let waiter = state.waiters.removeValue(forKey: id) { return waiter }
                if !state.triggered { state.cancelled.insert(id) }
                return nil
            }
            waiter?.resume(throwing: CancellationError())
        }
    }

    /// Calls `handler` once when the stop is requested (at once if it already was).
    /// - Parameter handler: Called on the thread that triggers the stop; keep it short.
    /// - Returns: A token for ``removeHandler(_:)``.
    @discardableResult
    public func onTrigger(_ handler: @escaping @Sendable () -> Void) -> Int {
        let id: Int? = state.withLock { state in
            guard !state.triggered else { return nil }
            defer { state.next += 1 }
            state.handlers[state.next] = handler
            return state.next
        }
        guard let id else {
            handler()
            return -1
        }
        return id
    }

    /// Forgets a handler that ``onTrigger(_:)`` registered and that has not run yet.
    /// - Parameter token: What ``onTrigger(_:)`` returned.
    public func removeHandler(_ token: Int) {
        _ = state.withLock { $0.handlers.removeValue(forKey: token) }
    }
}

extension StopSignal {
    /// Whether a graceful stop was requested for the current service or scope (`false` outside
    /// one).
    public static var isRequested: Bool { current?.isTriggered ?? false }

    /// Suspends until a graceful stop is requested for the current service or scope; outside
    /// one, until the task is cancelled.
    /// - Throws: `CancellationError` if the task is cancelled first.
    public static func waitForStop() async throws {
        if let current {
            try await current.wait()
        } else {
            try await StopSignal().wait()
        }
    }

    /// Runs `operation`, calling `onStop` once if a graceful stop is requested for the current
    /// service or scope meanwhile (or was already).
    /// - Parameters:
    ///   - operation: The work.
    ///   - onStop: Asks the work to finish; called on the thread that requests the stop.
    /// - Returns: What `operation` returns.
    /// - Throws: What `operation` throws.
    public static func withStopHandler<Result>(
        _ operation: () async throws -> Result,
        onStop: @escaping @Sendable () -> Void
    ) async rethrows -> Result {
        guard let current else { return try await operation() }
        let token = current.onTrigger(onStop)
        defer { current.removeHandler(token) }
        return try await operation()
    }

    /// Runs `operation` and cancels it when a graceful stop is requested for the current service
    /// or scope: for code that knows only cancellation.
    /// - Parameter operation: The work.
    /// - Returns: What `operation` returns.
    /// - Throws: What `operation` throws (typically `CancellationError` once stopped).
    public static func cancellingOnStop<Result: Sendable>(
        _ operation: @escaping @Sendable () async throws -> Result
    ) async throws -> Result {
        let signal = current
        return try await withThrowingTaskGroup(of: Result?.self) { group in
            group.addTask { try await operation() }
            group.addTask {
                if let signal { try await signal.wait() } else { try await StopSignal().wait() }
                return nil
            }
            defer { group.cancelAll() }
            while let next = try await group.next() {
                if let result = next { return result }
                group.cancelAll()
            }
            throw CancellationError()
        }
    }
}
