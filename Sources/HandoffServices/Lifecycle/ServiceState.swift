import Handoff
import HandoffSystem
/// Where a service managed by a ``ServiceRunner`` stands.
///
/// ```
/// stopped → initiating → initiated → starting → running → shuttingDown → stopped
/// ```
///
/// A service that fails or is stopped before it ran goes from where it is to
/// ``shuttingDown`` (if it was running code) and ``stopped``. After a failed upgrade, services
/// the drain stopped go round again from ``initiating``. One that does not end within its stop
/// deadline, its cancellation and the grace period after it is ``stuck`` for good.
public enum ServiceState: String, Sendable, CaseIterable, Codable, CustomStringConvertible {
    /// ``ManagedService/initialize()`` is about to be called or is running.
    case initiating
    /// ``ManagedService/initialize()`` returned.
    case initiated
    /// ``ManagedService/run()`` was called; the runner waits for the readiness check.
    case starting
    /// The readiness check passed.
    case running
    /// The service was asked to stop (gracefully, then by cancellation at its deadline).
    case shuttingDown
    /// The service's ``ManagedService/run()`` returned, or it never started.
    case stopped
    /// The service ignored its graceful stop and its cancellation past the grace period: the
    /// runner stopped waiting for it (see ``HandoffError/Code/serviceStuck``).
    case stuck

    public var description: String { rawValue }
}
