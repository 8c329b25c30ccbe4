import Handoff
import HandoffSystem
/// What code running inside a service (or a ``TaskScope``) can reach without holding the
/// runner: its name, its ``StopSignal``, where its transient errors and its health go.
///
/// It is a task-local, so every child task of the service sees it:
///
/// ```swift
/// func run() async throws {
///     for try await message in subscription {
///         do { try await handle(message) }
///         catch { RunnerContext.reportTransient(error) }
///     }
/// }
/// ```
public struct RunnerContext: Sendable {
    /// The context of the service the current task runs in; `nil` outside a runner.
    @TaskLocal public static var current: RunnerContext?

    /// The service's name (`service/task` inside a ``TaskScope``).
    public let name: String
    /// The name health is reported under: the enclosing service's.
    public let service: String
    /// The graceful stop request for this service or scope.
    public let stopSignal: StopSignal
    let sink: @Sendable (ServiceFailure) -> Void
    package let runner: ServiceRunner?
    /// The service's position in its runner's list.
    let index: Int

    init(name: String, service: String, stopSignal: StopSignal, runner: ServiceRunner?, index: Int, sink: @escaping @Sendable (ServiceFailure) -> Void) {
        self.name = name
        self.service = service
        self.stopSignal = stopSignal
        self.runner = runner
        self.index = index
        self.sink = sink
    }

    /// Reports an error the service goes on after: on the runner's ``ServiceRunner/failures()``
    /// stream, or to the caller of the enclosing ``TaskScope``.
    /// - Parameter error: What went wrong.
    public func reportTransient(_ error: any Error) {
        sink(ServiceFailure(service: name, severity: .transient, error: error))
    }

    /// Pushes the service's health (active health checking).
    /// - Parameter health: The health now.
    public func reportHealth(_ health: ServiceHealth) {
        runner?.health.report(health, for: service)
    }

    /// The health changes of the services this one depends on, as they are reported.
    /// - Parameter services: Their names.
    /// - Returns: A stream of changes; empty outside a runner.
    public func healthChanges(of services: [String]) -> AsyncStream<HealthChange> {
        guard let runner else { return AsyncStream { $0.finish() } }
        return runner.health.changes(of: services)
    }

    /// Suspends until every service of the runner is running (returns at once outside a
    /// runner).
    /// - Throws: `CancellationError` if the task is cancelled first.
    public func waitUntilAllRunning() async throws {
        try await runner?.allRunning.wait()
    }
}

extension RunnerContext {
    /// Reports a transient error for the current service; outside a runner it is dropped.
    /// - Parameter error: What went wrong.
    public static func reportTransient(_ error: any Error) {
        current?.reportTransient(error)
    }

    /// Pushes the current service's health; outside a runner it is dropped.
    /// - Parameter health: The health now.
    public static func reportHealth(_ health: ServiceHealth) {
        current?.reportHealth(health)
    }
}
