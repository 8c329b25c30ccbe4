import Handoff
import HandoffSystem
/// What the ``ServiceRunner``'s coordinator reacts to: its services' tasks, timers, signals,
/// and the upgrader's drain and resume. `epoch` tells one run of a service from the next, so a
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
    /// An upgrade asks to drain the services after `boundary`.
    case drain(boundary: Int, CheckedContinuation<[HandoffConnection], any Error>)
    case drainCancelled
    case participantDrained(Int, epoch: Int, Result<[HandoffConnection], any Error>)
    /// A failed upgrade asks to resume what was drained.
    case resume(CheckedContinuation<Void, Never>)
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
    case drainParticipant(Int, epoch: Int)
    case resumeParticipant(Int, [HandoffConnection])
    case completeDrain(CheckedContinuation<[HandoffConnection], any Error>, Result<[HandoffConnection], HandoffError>)
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
