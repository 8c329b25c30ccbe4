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
    /// How long a service's ``ManagedService/initialize()`` may take before the start fails (it
    /// is cancelled, and everything started is stopped).
    public var initializeTimeout: Duration = .seconds(30)
    /// How long a service that was cancelled (at its stop deadline, a second signal, or a failed
    /// start) may take to end before the runner stops waiting for it: it is reported
    /// ``ServiceState/stuck`` (a log line, `handoff_service_stuck_total`, `/debug/services`, and
    /// the ``HandoffError/Code/serviceStuck`` error ``ServiceRunner/run()`` throws), and the
    /// stop or the upgrade goes on without it. So a stop always ends within the stop deadline
    /// plus this grace period.
    public var stopGracePeriod: Duration = .seconds(5)
    /// How long one call of a readiness check or a health check may take. A readiness check
    /// past it counts as "not yet"; a health check past it reports the service unhealthy. Checks
    /// run concurrently, so one slow check holds up no other.
    public var checkTimeout: Duration = .seconds(5)
    /// How long the whole ordered stop may take; past it every service still running is
    /// cancelled at once. `nil`: only the per-service deadlines.
    public var totalStopTimeout: Duration?
    /// How often each running service's ``ManagedService/checkHealth()`` is polled (passive
    /// health checking); `nil` to poll never.
    public var healthPollInterval: Duration? = .seconds(30)
    /// Signals that stop the runner gracefully; the second of them cancels what is left.
    /// Empty: the runner traps none (stop it with ``ServiceRunner/stop()``).
    public var stopSignals: [Int32] = [Signal.terminate.rawValue, Signal.interrupt.rawValue]
    /// Where the runner logs its services' state changes and failures.
    public var logger: (any HandoffLogger)? = StderrLogWriter()

    /// Creates the default configuration.
    public init() {}
}
