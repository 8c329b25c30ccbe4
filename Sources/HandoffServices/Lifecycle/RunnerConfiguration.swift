#if canImport(Glibc)
import Glibc
#endif
import Handoff
import HandoffSystem

/// How a ``ServiceRunner`` starts, watches and stops its services. Every property has a
/// default.
public struct RunnerConfiguration: Sendable {
    /// How long a service's readiness check may take to pass before the start fails (and
    /// everything started is stopped). A service may set its own
    /// (``ManagedService/readinessTimeout``).
    public var readinessTimeout: Duration = .seconds(30)
    /// How often the readiness check is asked while it says "not yet".
    public var readinessPollInterval: Duration = .milliseconds(10)
    /// How long each service's graceful stop may take before it is cancelled. A service may
    /// set its own (``ManagedService/stopTimeout``).
    public var stopTimeout: Duration = .seconds(10)
    /// How long the whole ordered stop may take; past it every service still running is
    /// cancelled at once. `nil`: only the per-service deadlines.
    public var totalStopTimeout: Duration?
    /// How often each running service's ``ManagedService/checkHealth()`` is polled (passive
    /// health checking); `nil` to poll never.
    public var healthPollInterval: Duration? = .seconds(30)
    /// Signals that stop the runner gracefully; the second of them cancels what is left.
    /// Empty: the runner traps none (stop it with ``ServiceRunner/stop()``).
    public var stopSignals: [Int32] = [SIGTERM, SIGINT]
    /// Where the runner logs its services' state changes and failures.
    public var logger: (any HandoffLogger)? = StderrLogWriter()

    /// Creates the default configuration.
    public init() {}
}
