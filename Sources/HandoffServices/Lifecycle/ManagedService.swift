import Handoff
import HandoffSystem
/// A long-running part of a process that a ``ServiceRunner`` starts in order and stops in
/// reverse order.
///
/// Only ``run()`` is required. It is the whole life of the service: it returns when the service
/// has stopped. Inside it, a graceful stop arrives through ``StopSignal`` ("finish what you hold
/// and return") and an abrupt one as task cancellation ("abort now"):
///
/// ```swift
/// struct Worker: ManagedService {
///     let queue: JobQueue
///     func run() async throws {
///         while !StopSignal.isRequested, let job = try await queue.next() {
///             do { try await job.perform() }
///             catch { RunnerContext.reportTransient(error) }   // reported; the worker goes on
///         }
///     }
///     func checkReadiness() async throws -> Bool { await queue.isConnected }
/// }
/// ```
///
/// An error thrown from ``run()`` or ``initialize()`` is fatal: the runner stops every service
/// in reverse order and rethrows it. A service that returns from ``run()`` before it was asked
/// to stop stops the runner gracefully.
///
/// The name differs from swift-service-lifecycle's `Service` on purpose: a type can adopt both.
public protocol ManagedService: Sendable {
    /// The service's name in logs, metrics and the admin endpoint; unique within a runner.
    var name: String { get }

    /// Prepares the service before ``run()``: opens what it needs. Default: nothing.
    /// - Throws: Any error, which is fatal: the services started before are stopped.
    func initialize() async throws

    /// Runs the service until it is stopped.
    ///
    /// Return once ``StopSignal`` is triggered and the work in hand is done; return promptly
    /// when the task is cancelled.
    /// - Throws: Any error, which is fatal; `CancellationError` after a cancellation is not.
    func run() async throws

    /// Whether the service is ready for the next one to start. Polled after ``run()`` starts
    /// until it says `true`, within the readiness deadline. Default: `true`.
    /// - Returns: `true` once the service serves.
    /// - Throws: Any error, which counts as "not ready yet".
    func checkReadiness() async throws -> Bool

    /// Called when the service's turn to stop comes, right after its ``StopSignal`` is
    /// triggered; for services that stop through a call rather than by watching the signal.
    /// Default: nothing.
    func requestStop() async

    /// The service's health, polled every ``RunnerConfiguration/healthPollInterval``. Services
    /// may also push theirs with ``RunnerContext/reportHealth(_:)-type.method``.
    /// - Returns: The health now; `nil` (the default) for no opinion: a poll then leaves what the
    ///   service last pushed (healthy until it pushes otherwise), rather than overwrite it.
    func checkHealth() async -> ServiceHealth?

    /// How long the readiness check may take to pass; `nil` for the runner's
    /// ``RunnerConfiguration/readinessTimeout``.
    var readinessTimeout: Duration? { get }

    /// How long a graceful stop may take before the service is cancelled; `nil` for the
    /// runner's ``RunnerConfiguration/stopTimeout``.
    var stopTimeout: Duration? { get }
}

extension ManagedService {
    /// The type's name.
    public var name: String { String(describing: Self.self) }
    /// Does nothing.
    public func initialize() async throws {}
    /// Ready at once.
    public func checkReadiness() async throws -> Bool { true }
    /// Does nothing: the service watches its ``StopSignal``.
    public func requestStop() async {}
    /// No opinion: the service's health is what it pushes.
    public func checkHealth() async -> ServiceHealth? { nil }
    /// The runner's default.
    public var readinessTimeout: Duration? { nil }
    /// The runner's default.
    public var stopTimeout: Duration? { nil }
}
