import Handoff
import HandoffSystem
/// The one way a ``ServiceRunner`` and a ``Supervisor`` run a child and time its stop: the
/// task-locals a child sees (``RunnerContext``, ``StopSignal``), cancellation through its
/// instance's abort latch, and the stop deadline raced against its end.
///
/// Each returns the body of a task; the caller decides where it runs (a task group, or, for a
/// service the runner must be able to abandon, a task of its own).
enum ChildDriver {
    /// The task that runs one child: `body` under `context` and the instance's stop signal,
    /// cancelled once the instance's abort latch is fulfilled; then the instance is finished
    /// and `exited` gets what `body` threw, if anything.
    /// - Parameters:
    ///   - instance: The child's run.
    ///   - context: What ``RunnerContext/current`` is inside.
    ///   - body: The child's work.
    ///   - exited: Told how it ended, after ``ServiceInstance/finished`` is fulfilled.
    /// - Returns: The task's body.
    static func run(
        _ instance: ServiceInstance, context: RunnerContext,
        _ body: @escaping @Sendable () async throws -> Void,
        exited: @escaping @Sendable ((any Error)?) -> Void
    ) -> @Sendable () async -> Void {
        {
            var failure: (any Error)?
            do {
                try await RunnerContext.$current.withValue(context) {
                    try await StopSignal.$current.withValue(instance.stopSignal) {
                        try await ServiceInstance.abortable(instance.abort, body)
                    }
                }
            } catch {
                failure = error
            }
            instance.finished.fulfill(())
            exited(failure)
        }
    }

    /// The task that waits for `deadline` unless the instance finishes first, and then calls
    /// `passed`.
    /// - Parameters:
    ///   - instance: The child's run.
    ///   - deadline: When its stop deadline passes.
    ///   - passed: Called if it passes before the child ends.
    /// - Returns: The task's body.
    static func stopDeadline(
        _ instance: ServiceInstance, at deadline: ContinuousClock.Instant, passed: @escaping @Sendable () -> Void
    ) -> @Sendable () async -> Void {
        {
            let expired = await withTaskGroup(of: Bool.self) { race -> Bool in
                race.addTask {
                    try? await Task.sleep(until: deadline, tolerance: .milliseconds(1), clock: .continuous)
                    return !Task.isCancelled
                }
                race.addTask {
                    _ = try? await instance.finished.wait()
                    return false
                }
                let first = await race.next() ?? false
                race.cancelAll()
                return first
            }
            if expired { passed() }
        }
    }
}
