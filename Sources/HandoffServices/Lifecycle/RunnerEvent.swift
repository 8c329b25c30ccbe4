import HandoffSystem
/// What the ``ServiceRunner``'s coordinator reacts to: its services' tasks, timers, signals,
/// and a drain and resume asked for through ``ServiceRunner/drain(after:purpose:steps:)``. `epoch` tells one run of a service from the next, so a
/// late event of an earlier run is ignored.
enum RunnerEvent: Sendable {
    case initialized(Int, epoch: Int)
    case ready(Int, epoch: Int)
    case notReady(Int, epoch: Int, HandoffError)
    /// The service's task ended: `error` is what `initialize()` or `run()` threw, if anything.
    case finished(Int, epoch: Int, error: (any Error)?)
    case stopDeadline(Int, epoch: Int)
    /// `initialize()` did not return within its deadline.
    case initializeDeadline(Int, epoch: Int, HandoffError)
    /// The service was cancelled and did not end within the grace period: stop waiting for it.
    case stuck(Int, epoch: Int, HandoffError)
    case stopRequested(reason: String)
    case cancelRequested(reason: String)
    /// Drain the services after `boundary`, each by its step if `steps` has one, else by its stop.
    case drain(boundary: Int, purpose: String, steps: [Int: ServiceRunner.DrainStep], CheckedContinuation<Void, any Error>)
    case drainCancelled
    /// A service's drain step returned (`failure` is what it threw, if anything).
    case stepDone(Int, epoch: Int, failure: (any Error)?)
    /// Resume what was drained: run `handBack`, then start the stopped services again.
    case resume(handBack: ServiceRunner.HandBack, CheckedContinuation<Void, Never>)
}

/// What the coordinator does for the ``RunnerStateMachine``, outside its lock.
enum RunnerAction: Sendable {
    /// Start a new run of the service: initialize, then run.
    case launch(Int, epoch: Int)
    case pollReadiness(Int, epoch: Int)
    /// Trigger its stop signal, call `requestStop()`, arm its deadline; cancel at once if
    /// `cancelNow`.
    case stop(Int, epoch: Int, cancelNow: Bool)
    case cancel(Int, epoch: Int)
    /// Run the service's drain step in place of its stop.
    case drainStep(Int, epoch: Int, ServiceRunner.DrainStep)
    /// Run a resume's hand-back before the drained services start again.
    case handBack(ServiceRunner.HandBack)
    case completeDrain(CheckedContinuation<Void, any Error>, Result<Void, HandoffError>)
    case completeResume(CheckedContinuation<Void, Never>)
    case transition(Int, ServiceState)
    case allRunning
    case armTotalStopDeadline
    case log(HandoffLogLevel, String, service: Int?)
    case fatal(Int, any Error)
    /// Report the service as stuck: log, metric, failure stream.
    case stuck(Int, HandoffError)
    case finish
}
